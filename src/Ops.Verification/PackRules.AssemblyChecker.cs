using Mono.Cecil;
using Mono.Cecil.Cil;
using Ops.Core.Errors;

namespace Ops.Verification;

/// <summary>The walk over one assembly of a pack.</summary>
internal static partial class PackRules
{
    /// <summary>One assembly's walk: every place metadata and IL can name a type or member, then the reference tables themselves.</summary>
    private sealed class AssemblyChecker(ModuleDefinition module, PackAssemblyContext context, string file, AllowList allowList, ISet<AllowListEntry>? used, IReadOnlySet<string> kernelTypes)
    {
        private const string TypeItself = "(type)";

        private readonly string _assembly = module.Assembly.Name.Name;
        private readonly Dictionary<(string Rule, string Type, string Member), (string Why, SortedSet<string> Dependencies)> _findings = [];
        private readonly List<PackFinding> _assemblyFindings = [];
        private readonly Dictionary<string, (string Rule, string Why, string Dependency)?> _verdicts = new(StringComparer.Ordinal);
        private readonly HashSet<string> _ownTypes = module.GetTypes().Select(t => t.FullName).ToHashSet(StringComparer.Ordinal);
        private string _ownerType = "(assembly)";
        private string _ownerMember = "(attributes)";
        private bool _sweeping;

        private const string KernelImplementationWhy = "a pack uses the pack SDK (Ops.Abstractions) only: Ops.Core is the kernel's implementation, with the storage, secrets, log and hosting faces";

        private enum Origin
        {
            Own,
            Kernel,

            // Ops.Core itself: the kernel's implementation, which no pack may name (issue 16 item 1); the pack SDK is Kernel.
            KernelImplementation,
            Trusted,
            Framework,
            DataAccess,
            RefusedAssembly,
        }

        public IReadOnlyList<PackFinding> Run()
        {
            CheckAssemblyReferences();
            foreach (var exported in module.ExportedTypes)
            {
                _assemblyFindings.Add(At(new PackFinding(PackRuleIds.TypeForwarding, ReasonCodes.PackRefused, $"{file}: {_assembly} forwards {Display(exported.FullName)} to {exported.Scope?.Name}: a forwarded name is judged as the pack's own, so it would carry anything past the allow-list.", null, exported.FullName)));
            }

            Attributes(module.Assembly);
            Attributes(module);
            if (module.Assembly.HasSecurityDeclarations || module.Assembly.Modules.Count > 1)
            {
                Refuse(PackRuleIds.NotOnAllowList, "security declarations and extra modules are not part of a pack", "(assembly layout)");
            }

            foreach (var type in module.GetTypes())
            {
                CheckType(type);
            }

            // Whatever the walk above did not reach (an unused reference row, a place the walk does not know) is judged too.
            _ownerType = "(assembly)";
            _ownerMember = "(metadata)";
            _sweeping = true;
            foreach (var reference in module.GetTypeReferences())
            {
                Type(reference);
            }

            foreach (var reference in module.GetMemberReferences())
            {
                Member(reference);
            }

            return [.. _assemblyFindings, .. _findings.Select(f => Finding(f.Key, f.Value.Why, f.Value.Dependencies))];
        }

        private PackFinding Finding((string Rule, string Type, string Member) key, string why, SortedSet<string> dependencies)
        {
            var where = key.Member is TypeItself ? key.Type : $"{key.Type}.{key.Member}";
            var what = string.Join(", ", dependencies);
            return At(new PackFinding(key.Rule, ReasonCodes.PackRefused, $"{file}: {where} uses {what}: {why}.", key.Type, what) { Member = key.Member });
        }

        private PackFinding At(PackFinding finding) => finding with { File = file };

        private void CheckAssemblyReferences()
        {
            foreach (var reference in module.AssemblyReferences.Select(r => r.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var message = OriginOf(reference) switch
                {
                    Origin.DataAccess => (PackRuleIds.DataAccess, $"{file}: {_assembly} references {reference}: a pack never opens a database (constitution §9)."),
                    Origin.RefusedAssembly when reference.EndsWith(".Contracts", StringComparison.Ordinal) =>
                        (PackRuleIds.DeclaredContracts, $"{file}: {_assembly} references contract module {reference}, which pack '{context.PackId}' neither exports nor lists in depends_on: add \"{reference}\" to depends_on in pack.json (it is loaded from the pack that exports it, and must be installed first)."),
                    Origin.RefusedAssembly when reference == "Ops.Host" || reference.StartsWith("Ops.", StringComparison.Ordinal) =>
                        (PackRuleIds.OtherPacks, $"{file}: {_assembly} references {reference}: a pack depends on the pack SDK (Ops.Abstractions), Ops.Shared and contract modules only (constitution §7)."),
                    Origin.RefusedAssembly =>
                        (PackRuleIds.UnknownAssembly, $"{file}: {_assembly} references {reference}, which is neither in the pack folder nor provided by the host: ship it in the folder (it is then checked like the pack's own code) or remove the reference."),
                    _ => ((string, string)?)null,
                };
                if (message is var (rule, text))
                {
                    _assemblyFindings.Add(At(new PackFinding(rule, ReasonCodes.PackRefused, text, null, reference)));
                }
            }
        }

        private Origin OriginOf(string assembly)
        {
            if (assembly == _assembly || (context.FolderAssemblies.Contains(assembly) && !PackSharing.IsHostShared(assembly) && !context.DependsOn.Contains(assembly)))
            {
                return Origin.Own;
            }

            if (assembly == PackSharing.SdkAssembly)
            {
                return Origin.Kernel;
            }

            if (assembly == "Ops.Core")
            {
                return Origin.KernelImplementation;
            }

            if (assembly == "Ops.Shared" || context.DependsOn.Contains(assembly) || context.Exports.Contains(assembly))
            {
                return Origin.Trusted;
            }

            if (DataAccessAssemblies.Any(d => assembly == d || assembly.StartsWith(d + ".", StringComparison.Ordinal)))
            {
                return Origin.DataAccess;
            }

            // A framework name (System.Diagnostics.Contracts is one) is judged type by type against the list, whatever its suffix.
            return IsFramework(assembly) ? Origin.Framework : Origin.RefusedAssembly;
        }

        private (Origin Origin, string Name) Locate(TypeReference type)
        {
            var outer = type;
            while (outer.DeclaringType is not null)
            {
                outer = outer.DeclaringType;
            }

            return outer.Scope switch
            {
                // A name the pack declares is its own; one it does not (a typeof in an attribute without an assembly) is judged as the framework's.
                ModuleDefinition => (_ownTypes.Contains(type.FullName) ? Origin.Own : Origin.Framework, type.FullName),
                AssemblyNameReference assembly => (OriginOf(assembly.Name), type.FullName),
                _ => (Origin.RefusedAssembly, type.FullName),
            };
        }

        private void CheckType(TypeDefinition type)
        {
            _ownerType = Display(AuthoredOwner(type).FullName);
            _ownerMember = AuthoredMember(type);
            if (type.Name == "<Module>")
            {
                foreach (var method in type.Methods.Where(m => m.IsConstructor && m.IsStatic))
                {
                    _ownerMember = method.Name;
                    Refuse(PackRuleIds.ModuleInitializer, "a module initializer runs as soon as the assembly loads, before any check could stop it", "<Module>..cctor");
                }
            }

            if (type.Name == "IgnoresAccessChecksToAttribute")
            {
                Refuse(PackRuleIds.AccessCheckBypass, "it switches off the runtime's access checks on the kernel's internals", type.FullName);
            }

            Attributes(type);
            GenericParameters(type);
            Type(type.BaseType);
            foreach (var implementation in type.Interfaces)
            {
                Type(implementation.InterfaceType);
                Attributes(implementation);
            }

            if (type.IsExplicitLayout && type.Fields.Any(f => !f.IsStatic))
            {
                // Overlapping fields let one object be read as another type (the runtime allows two references at one offset).
                // Without instance fields (the compiler's __StaticArrayInitTypeSize blobs) nothing can overlap.
                Refuse(PackRuleIds.UnsafeCode, "explicit field layout overlaps fields, which reads one object as another type", "[StructLayout(LayoutKind.Explicit)]");
            }

            if (type.HasSecurityDeclarations)
            {
                Refuse(PackRuleIds.NotOnAllowList, "security declarations are not part of a pack", "(security declaration)");
            }

            foreach (var field in type.Fields)
            {
                _ownerMember = OwnerMember(type, field.Name);
                Type(field.FieldType);
                Attributes(field);
                if (field.HasMarshalInfo)
                {
                    Refuse(PackRuleIds.NativeInterop, "marshalling describes native memory", "(marshal info)");
                }
            }

            foreach (var property in type.Properties)
            {
                _ownerMember = OwnerMember(type, property.Name);
                Type(property.PropertyType);
                Attributes(property);
                foreach (var parameter in property.Parameters)
                {
                    Type(parameter.ParameterType);
                }
            }

            foreach (var @event in type.Events)
            {
                _ownerMember = OwnerMember(type, @event.Name);
                Type(@event.EventType);
                Attributes(@event);
            }

            foreach (var method in type.Methods)
            {
                CheckMethod(type, method);
            }
        }

        private void CheckMethod(TypeDefinition type, MethodDefinition method)
        {
            _ownerMember = OwnerMember(type, method.Name);
            Attributes(method);
            Attributes(method.MethodReturnType);
            GenericParameters(method);
            Type(method.ReturnType);
            foreach (var parameter in method.Parameters)
            {
                Type(parameter.ParameterType);
                Attributes(parameter);
                if (parameter.HasMarshalInfo)
                {
                    Refuse(PackRuleIds.NativeInterop, "marshalling describes native memory", "(marshal info)");
                }
            }

            foreach (var overridden in method.Overrides)
            {
                Member(overridden);
            }

            if (method.IsPInvokeImpl)
            {
                Refuse(PackRuleIds.NativeInterop, "declares a P/Invoke method: native code runs outside every rule", $"P/Invoke {method.Name} ({method.PInvokeInfo?.Module?.Name ?? "native"})");
            }

            if (method.IsInternalCall || (method.IsRuntime && !IsDelegate(type)) || method.IsUnmanaged || method.IsNative)
            {
                Refuse(PackRuleIds.NativeInterop, "declares a method the runtime or native code implements", $"{method.Name} (implemented outside IL)");
            }

            if (method.Name == "Finalize" && method.IsVirtual && !method.HasParameters && method.ReturnType.MetadataType == MetadataType.Void && !type.IsInterface)
            {
                Refuse(PackRuleIds.Finalizer, "a finalizer runs on the garbage collector's thread, outside any call the kernel made, and an exception there ends the worker", $"{Display(type.FullName)}.Finalize");
            }

            if (method.ReturnType.MetadataType == MetadataType.Void && method.CustomAttributes.Any(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.AsyncStateMachineAttribute"))
            {
                Refuse(PackRuleIds.AsyncVoid, "an exception from an async void method ends the worker process; return Task or ValueTask", $"async void {method.Name}");
            }

            if (!method.HasBody)
            {
                return;
            }

            foreach (var variable in method.Body.Variables)
            {
                if (variable.IsPinned)
                {
                    Refuse(PackRuleIds.UnsafeCode, "pins memory for pointer access", "(pinned local)");
                }

                Type(variable.VariableType);
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                Type(handler.CatchType);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                if (instruction.OpCode.Code == Code.Calli)
                {
                    Refuse(PackRuleIds.UnsafeCode, "calls through a function pointer, which no rule can follow", "calli");
                }
                else if (instruction.OpCode.Code == Code.Localloc)
                {
                    Refuse(PackRuleIds.UnsafeCode, "allocates raw stack memory (stackalloc): use an array", "localloc");
                }
                else if (instruction.OpCode.Code is Code.Cpblk or Code.Initblk or Code.Mkrefany or Code.Refanyval or Code.Arglist or Code.Jmp)
                {
                    Refuse(PackRuleIds.UnsafeCode, "copies, initializes or jumps through raw memory or arguments", instruction.OpCode.Name);
                }

                switch (instruction.Operand)
                {
                    case TypeReference reference:
                        Type(reference);
                        if (instruction.OpCode.Code == Code.Ldtoken)
                        {
                            NotConstructible(reference, "typeof");
                        }

                        break;
                    case MemberReference member:
                        Member(member);
                        break;
                    case CallSite site:
                        Type(site.ReturnType);
                        foreach (var parameter in site.Parameters)
                        {
                            Type(parameter.ParameterType);
                        }

                        break;
                    default:
                        break;
                }
            }
        }

        private void GenericParameters(IGenericParameterProvider provider)
        {
            foreach (var parameter in provider.GenericParameters)
            {
                Attributes(parameter);
                foreach (var constraint in parameter.Constraints)
                {
                    Type(constraint.ConstraintType);
                    Attributes(constraint);
                }
            }
        }

        private void Attributes(ICustomAttributeProvider provider)
        {
            if (!provider.HasCustomAttributes)
            {
                return;
            }

            foreach (var attribute in provider.CustomAttributes)
            {
                Member(attribute.Constructor);
                foreach (var argument in attribute.ConstructorArguments.Concat(attribute.Fields.Select(f => f.Argument)).Concat(attribute.Properties.Select(p => p.Argument)))
                {
                    Argument(argument);
                }
            }
        }

        private void Argument(CustomAttributeArgument argument)
        {
            Type(argument.Type);
            switch (argument.Value)
            {
                case TypeReference type:
                    Type(type);
                    NotConstructible(type, "typeof in an attribute");
                    break;
                case CustomAttributeArgument boxed:
                    Argument(boxed);
                    break;
                case CustomAttributeArgument[] array:
                    foreach (var element in array)
                    {
                        Argument(element);
                    }

                    break;
                default:
                    break;
            }
        }

        private void Type(TypeReference? type)
        {
            switch (type)
            {
                case null or GenericParameter:
                    return;
                case GenericInstanceType generic:
                    Type(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                    {
                        Type(argument);
                        if (!NonConstructing.Contains(generic.ElementType.FullName))
                        {
                            NotConstructible(argument, "a generic argument of " + Display(generic.ElementType.FullName));
                        }
                    }

                    return;
                case PointerType pointer:
                    Refuse(PackRuleIds.UnsafeCode, "pointers read and write memory past every check", "a pointer to " + Display(pointer.ElementType.FullName));
                    Type(pointer.ElementType);
                    return;
                case FunctionPointerType function:
                    Refuse(PackRuleIds.UnsafeCode, "a function pointer calls code no rule can follow", "a function pointer");
                    Type(function.ReturnType);
                    foreach (var parameter in function.Parameters)
                    {
                        Type(parameter.ParameterType);
                    }

                    return;
                case IModifierType modifier:
                    Type(modifier.ModifierType);
                    Type(modifier.ElementType);
                    return;
                case TypeSpecification specification:
                    Type(specification.ElementType);
                    return;
                default:
                    Judge(Key(type), () => JudgeType(type));
                    return;
            }
        }

        private void Member(MemberReference member)
        {
            switch (member)
            {
                case GenericInstanceMethod generic:
                    foreach (var argument in generic.GenericArguments)
                    {
                        Type(argument);
                        NotConstructible(argument, $"a generic argument of {generic.ElementMethod.Name}");
                    }

                    Member(generic.ElementMethod);
                    return;
                case MethodReference method:
                    Type(method.DeclaringType);
                    Type(method.ReturnType);
                    foreach (var parameter in method.Parameters)
                    {
                        Type(parameter.ParameterType);
                    }

                    break;
                case FieldReference field:
                    Type(field.DeclaringType);
                    Type(field.FieldType);
                    break;
                default:
                    return;
            }

            if (member.DeclaringType is not { } declaring)
            {
                return;
            }

            var element = declaring.GetElementType();
            Judge(Key(element) + "::" + member.Name + Signature(member), () => JudgeMember(member, element));
        }

        private (string Rule, string Why, string Dependency)? JudgeType(TypeReference type)
        {
            var (origin, name) = Locate(type);
            switch (origin)
            {
                case Origin.Own or Origin.Trusted or Origin.RefusedAssembly:
                    // Refused assemblies are refused once, by name (CheckAssemblyReferences).
                    return null;
                case Origin.DataAccess:
                    return (PackRuleIds.DataAccess, Classify(name).Why, Display(name));
                case Origin.Kernel:
                    if (kernelTypes.Contains(name) && allowList.AllowsType(AllowListSection.Kernel, name) is { } kernelEntry)
                    {
                        used?.Add(kernelEntry);
                        return null;
                    }

                    return (PackRuleIds.CoreInternals, "a pack uses Ops.Core's pack-facing API only (the [kernel] part of the allow-list): the storage, secrets, log and hosting faces are the kernel's own", Display(name));
                case Origin.KernelImplementation:
                    return (PackRuleIds.CoreInternals, KernelImplementationWhy, Display(name));
                default:
                    if (allowList.AllowsType(AllowListSection.Framework, name) is { } entry)
                    {
                        used?.Add(entry);
                        return null;
                    }

                    var (rule, why) = Classify(name);
                    return (rule, why, Display(name));
            }
        }

        private (string Rule, string Why, string Dependency)? JudgeMember(MemberReference member, TypeReference declaring)
        {
            var (origin, typeName) = Locate(declaring);
            if (origin is Origin.Own or Origin.Trusted)
            {
                // A reference (not a definition) through the pack's own or a trusted type may bind to a member it inherits
                // from the framework or the kernel (MyDelegate::get_Method is Delegate::get_Method): judge where it lands.
                return member is IMemberDefinition ? null : JudgeResolved(member, typeName);
            }

            if (origin is not (Origin.Kernel or Origin.Framework))
            {
                return null;
            }

            var section = origin == Origin.Kernel ? AllowListSection.Kernel : AllowListSection.Framework;
            if (JudgeType(declaring) is not null)
            {
                // The type is refused on its own; naming each member of it again says nothing new.
                return null;
            }

            // An inherited member binds to the type that declares it: judge that one too (Task<T>.Run is Task.Run).
            return MemberVerdict(section, typeName, member.Name, Parameters(member)) ?? JudgeResolved(member, typeName);
        }

        private (string Rule, string Why, string Dependency)? JudgeResolved(MemberReference member, string referencedType)
        {
            if (TryResolve(member) is not { DeclaringType: { } resolvedType } resolved || resolvedType.FullName == referencedType)
            {
                return null;
            }

            return OriginOf(resolvedType.Module.Assembly.Name.Name) switch
            {
                Origin.Kernel => MemberVerdict(AllowListSection.Kernel, resolvedType.FullName, resolved.Name, Parameters(member)),
                Origin.KernelImplementation => (PackRuleIds.CoreInternals, KernelImplementationWhy, $"{Display(resolvedType.FullName)}.{resolved.Name}"),
                Origin.Framework => MemberVerdict(AllowListSection.Framework, resolvedType.FullName, resolved.Name, Parameters(member)),
                Origin.DataAccess => (PackRuleIds.DataAccess, Classify(resolvedType.FullName).Why, $"{Display(resolvedType.FullName)}.{resolved.Name}"),
                _ => null,
            };
        }

        private (string Rule, string Why, string Dependency)? MemberVerdict(AllowListSection section, string typeName, string memberName, IReadOnlyList<string> parameters)
        {
            if (allowList.AllowsMember(section, typeName, memberName, parameters) is { } entry)
            {
                used?.Add(entry);
                return null;
            }

            var dependency = $"{Display(typeName)}.{memberName}";
            if (section == AllowListSection.Kernel)
            {
                return (PackRuleIds.CoreInternals, "a pack uses Ops.Core's pack-facing API only (the [kernel] part of the allow-list)", dependency);
            }

            var denied = allowList.DeniedMember(section, typeName, memberName, parameters);
            var (rule, why) = Classify(typeName + "::" + memberName);
            return (rule, denied is null ? why : $"{why} ({denied.Where})", dependency);
        }

        private void Judge(string key, Func<(string Rule, string Why, string Dependency)?> judge)
        {
            if (!_verdicts.TryGetValue(key, out var verdict))
            {
                verdict = judge();
                _verdicts[key] = verdict;
            }
            else if (_sweeping)
            {
                // Already judged, and reported, where it is used.
                return;
            }

            if (verdict is var (rule, why, dependency))
            {
                Add(rule, why, dependency);
            }
        }

        private void Refuse(string rule, string why, string dependency) => Add(rule, why, dependency);

        /// <summary>
        /// A type whose constructors the list refuses (every overload: HttpClient) may be held and called, but not handed to
        /// code that constructs what it is given: a serializer (Deserialize&lt;T&gt;, Deserialize(json, typeof(T))), a container
        /// (AddSingleton&lt;T&gt;), Lazy&lt;T&gt;, the kernel's own generics. So not as typeof, nor as a generic argument except
        /// of the awaitables and delegates that never construct their argument.
        /// </summary>
        private void NotConstructible(TypeReference type, string how)
        {
            if (type is GenericParameter or TypeSpecification || Locate(type).Origin != Origin.Framework || !allowList.IsUnconstructible(type.FullName))
            {
                return;
            }

            var (rule, why) = Classify(type.FullName + "::.ctor");
            Refuse(rule, $"its constructors are refused ({why}), and as {how} it would be constructed by whatever takes it (a serializer, a container, Lazy<T>)", $"{Display(type.FullName)} as {how}");
        }

        private void Add(string rule, string why, string dependency)
        {
            var key = (rule, _ownerType, _ownerMember);
            if (!_findings.TryGetValue(key, out var finding))
            {
                _findings[key] = finding = (why, new SortedSet<string>(StringComparer.Ordinal));
            }

            finding.Dependencies.Add(dependency);
        }

        private static string Key(TypeReference type)
        {
            var outer = type;
            while (outer.DeclaringType is not null)
            {
                outer = outer.DeclaringType;
            }

            return (outer.Scope?.Name ?? "?") + "!" + type.FullName;
        }

        private static string Signature(MemberReference member) =>
            member is MethodReference method ? "(" + string.Join(",", Parameters(method)) + ")" : string.Empty;

        private static IReadOnlyList<string> Parameters(MemberReference member) =>
            member is MethodReference method ? [.. method.Parameters.Select(p => ParameterTypeName(p.ParameterType))] : [];

        private static bool IsFramework(string assembly) =>
            assembly is "System" or "netstandard" or "mscorlib" or "WindowsBase" or "Scrutor"
            || assembly.StartsWith("System.", StringComparison.Ordinal)
            || assembly.StartsWith("Microsoft.", StringComparison.Ordinal)
            || assembly.StartsWith("Polly", StringComparison.Ordinal);

        private static string OwnerMember(TypeDefinition type, string member)
        {
            if (!type.Name.StartsWith('<'))
            {
                return member;
            }

            var authored = AuthoredName(member);
            return authored != member ? authored : AuthoredMember(type);
        }

        private static bool IsDelegate(TypeDefinition type) => type.BaseType?.FullName is "System.MulticastDelegate" or "System.Delegate";
    }
}
