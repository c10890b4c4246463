using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Ops.Architecture.Tests.Engine;

/// <summary>
/// Every type one type depends on, read from metadata and IL: base type, interfaces, attributes (with
/// <c>typeof</c> arguments), generic arguments and constraints, fields, properties, events, method
/// signatures and overrides, and method bodies (call/newobj/ldftn targets, field operands, ldtoken,
/// castclass/isinst, locals, catch clauses). Code the compiler moved into nested generated types
/// (lambdas, async and iterator state machines) counts for the type that holds it.
/// </summary>
internal static class TypeDependencies
{
    public static IReadOnlySet<string> Of(TypeDefinition type)
    {
        var collector = new Collector();
        foreach (var part in CecilTypes.WithGeneratedCode(type))
        {
            collector.AddDefinition(part);
        }

        return collector.Names;
    }

    private sealed class Collector
    {
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

        public void AddDefinition(TypeDefinition type)
        {
            AddAttributes(type);
            AddGenericParameters(type);
            Add(type.BaseType);
            foreach (var implementation in type.Interfaces)
            {
                Add(implementation.InterfaceType);
                AddAttributes(implementation);
            }

            foreach (var field in type.Fields)
            {
                Add(field.FieldType);
                AddAttributes(field);
            }

            foreach (var property in type.Properties)
            {
                Add(property.PropertyType);
                AddAttributes(property);
                foreach (var parameter in property.Parameters)
                {
                    Add(parameter.ParameterType);
                }
            }

            foreach (var @event in type.Events)
            {
                Add(@event.EventType);
                AddAttributes(@event);
            }

            foreach (var method in type.Methods)
            {
                AddMethod(method);
            }
        }

        private void AddMethod(MethodDefinition method)
        {
            AddAttributes(method);
            AddGenericParameters(method);
            Add(method.ReturnType);
            AddAttributes(method.MethodReturnType);
            foreach (var parameter in method.Parameters)
            {
                Add(parameter.ParameterType);
                AddAttributes(parameter);
            }

            foreach (var overridden in method.Overrides)
            {
                Add(overridden);
            }

            if (!method.HasBody)
            {
                return;
            }

            foreach (var variable in method.Body.Variables)
            {
                Add(variable.VariableType);
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                Add(handler.CatchType);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                AddOperand(instruction);
            }
        }

        private void AddOperand(Instruction instruction)
        {
            switch (instruction.Operand)
            {
                case TypeReference type:
                    Add(type);
                    break;
                case MethodReference method:
                    Add(method);
                    break;
                case FieldReference field:
                    Add(field.DeclaringType);
                    Add(field.FieldType);
                    break;
                case CallSite site:
                    Add(site.ReturnType);
                    foreach (var parameter in site.Parameters)
                    {
                        Add(parameter.ParameterType);
                    }

                    break;
                default:
                    break;
            }
        }

        private void Add(MethodReference method)
        {
            Add(method.DeclaringType);
            Add(method.ReturnType);
            foreach (var parameter in method.Parameters)
            {
                Add(parameter.ParameterType);
            }

            if (method is GenericInstanceMethod generic)
            {
                foreach (var argument in generic.GenericArguments)
                {
                    Add(argument);
                }
            }
        }

        private void Add(TypeReference? type)
        {
            switch (type)
            {
                case null:
                case GenericParameter:
                    // A generic parameter is no dependency; its constraints are read where it is declared.
                    return;
                case GenericInstanceType generic:
                    Add(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                    {
                        Add(argument);
                    }

                    return;
                case RequiredModifierType required:
                    Add(required.ModifierType);
                    Add(required.ElementType);
                    return;
                case OptionalModifierType optional:
                    Add(optional.ModifierType);
                    Add(optional.ElementType);
                    return;
                case FunctionPointerType pointer:
                    Add(pointer.ReturnType);
                    foreach (var parameter in pointer.Parameters)
                    {
                        Add(parameter.ParameterType);
                    }

                    return;
                case TypeSpecification specification:
                    // Arrays, by-ref, pointers, pinned: the element type is the dependency.
                    Add(specification.ElementType);
                    return;
                default:
                    var name = CecilTypes.NameOf(type);
                    if (!name.StartsWith('<'))
                    {
                        Names.Add(name);
                    }

                    return;
            }
        }

        private void AddGenericParameters(IGenericParameterProvider provider)
        {
            foreach (var parameter in provider.GenericParameters)
            {
                AddAttributes(parameter);
                foreach (var constraint in parameter.Constraints)
                {
                    Add(constraint.ConstraintType);
                    AddAttributes(constraint);
                }
            }
        }

        private void AddAttributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType);
                foreach (var argument in attribute.ConstructorArguments)
                {
                    AddArgument(argument);
                }

                foreach (var named in attribute.Fields.Concat(attribute.Properties))
                {
                    AddArgument(named.Argument);
                }
            }
        }

        private void AddArgument(CustomAttributeArgument argument)
        {
            Add(argument.Type);
            switch (argument.Value)
            {
                case TypeReference type:
                    Add(type);
                    break;
                case CustomAttributeArgument boxed:
                    AddArgument(boxed);
                    break;
                case CustomAttributeArgument[] array:
                    foreach (var element in array)
                    {
                        AddArgument(element);
                    }

                    break;
                default:
                    break;
            }
        }
    }
}
