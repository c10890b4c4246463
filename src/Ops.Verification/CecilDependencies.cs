using Mono.Cecil;

namespace Ops.Verification;

/// <summary>
/// The full names (Cecil style, nested with '/') of every type a type and its nested types depend on:
/// base type, interfaces, attributes and their <c>typeof</c> arguments, generic constraints, fields,
/// properties, events, method signatures and bodies (locals, catch clauses, type, method and field operands,
/// <c>calli</c> signatures). Read from metadata and IL only; nothing is loaded.
/// </summary>
internal static class CecilDependencies
{
    public static IReadOnlySet<string> Of(TypeDefinition type)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<TypeDefinition>([type]);
        while (pending.TryPop(out var current))
        {
            AddDefinition(current, names);
            foreach (var nested in current.NestedTypes)
            {
                pending.Push(nested);
            }
        }

        return names;
    }

    private static void AddDefinition(TypeDefinition type, HashSet<string> names)
    {
        AddAttributes(type, names);
        AddGenericParameters(type, names);
        Add(type.BaseType, names);
        foreach (var implementation in type.Interfaces)
        {
            Add(implementation.InterfaceType, names);
        }

        foreach (var field in type.Fields)
        {
            Add(field.FieldType, names);
            AddAttributes(field, names);
        }

        foreach (var property in type.Properties)
        {
            Add(property.PropertyType, names);
            AddAttributes(property, names);
        }

        foreach (var @event in type.Events)
        {
            Add(@event.EventType, names);
            AddAttributes(@event, names);
        }

        foreach (var method in type.Methods)
        {
            AddAttributes(method, names);
            AddAttributes(method.MethodReturnType, names);
            AddGenericParameters(method, names);
            Add(method.ReturnType, names);
            foreach (var parameter in method.Parameters)
            {
                Add(parameter.ParameterType, names);
                AddAttributes(parameter, names);
            }

            if (!method.HasBody)
            {
                continue;
            }

            foreach (var variable in method.Body.Variables)
            {
                Add(variable.VariableType, names);
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                Add(handler.CatchType, names);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference reference:
                        Add(reference, names);
                        break;
                    case MethodReference called:
                        AddMethod(called, names);
                        break;
                    case FieldReference field:
                        Add(field.DeclaringType, names);
                        Add(field.FieldType, names);
                        break;
                    case CallSite site:
                        Add(site.ReturnType, names);
                        foreach (var parameter in site.Parameters)
                        {
                            Add(parameter.ParameterType, names);
                        }

                        break;
                    default:
                        break;
                }
            }
        }
    }

    private static void AddMethod(MethodReference method, HashSet<string> names)
    {
        Add(method.DeclaringType, names);
        Add(method.ReturnType, names);
        foreach (var parameter in method.Parameters)
        {
            Add(parameter.ParameterType, names);
        }

        if (method is GenericInstanceMethod generic)
        {
            foreach (var argument in generic.GenericArguments)
            {
                Add(argument, names);
            }
        }
    }

    private static void Add(TypeReference? type, HashSet<string> names)
    {
        switch (type)
        {
            case null or GenericParameter:
                return;
            case GenericInstanceType generic:
                Add(generic.ElementType, names);
                foreach (var argument in generic.GenericArguments)
                {
                    Add(argument, names);
                }

                return;
            case RequiredModifierType required:
                Add(required.ModifierType, names);
                Add(required.ElementType, names);
                return;
            case OptionalModifierType optional:
                Add(optional.ModifierType, names);
                Add(optional.ElementType, names);
                return;
            case FunctionPointerType pointer:
                Add(pointer.ReturnType, names);
                foreach (var parameter in pointer.Parameters)
                {
                    Add(parameter.ParameterType, names);
                }

                return;
            case TypeSpecification specification:
                Add(specification.ElementType, names);
                return;
            default:
                names.Add(type.FullName);
                return;
        }
    }

    private static void AddGenericParameters(IGenericParameterProvider provider, HashSet<string> names)
    {
        foreach (var parameter in provider.GenericParameters)
        {
            foreach (var constraint in parameter.Constraints)
            {
                Add(constraint.ConstraintType, names);
            }
        }
    }

    private static void AddAttributes(ICustomAttributeProvider provider, HashSet<string> names)
    {
        foreach (var attribute in provider.CustomAttributes)
        {
            Add(attribute.AttributeType, names);
            foreach (var argument in attribute.ConstructorArguments.Concat(attribute.Fields.Select(f => f.Argument)).Concat(attribute.Properties.Select(p => p.Argument)))
            {
                AddArgument(argument, names);
            }
        }
    }

    private static void AddArgument(CustomAttributeArgument argument, HashSet<string> names)
    {
        Add(argument.Type, names);
        switch (argument.Value)
        {
            case TypeReference type:
                Add(type, names);
                break;
            case CustomAttributeArgument boxed:
                AddArgument(boxed, names);
                break;
            case CustomAttributeArgument[] array:
                foreach (var element in array)
                {
                    AddArgument(element, names);
                }

                break;
            default:
                break;
        }
    }
}
