using Mono.Cecil;
using Ops.Architecture.Tests.Engine;

namespace Ops.Architecture.Tests.Rules;

/// <summary>
/// Constitution §9 and §12: packs never read raw credentials. Calls (or method-group references) to the
/// places a credential would be read from directly, environment variables and files, are refused; a
/// pack gets credentials only as handles through the kernel (the connector's credentialed client).
/// </summary>
internal sealed class NoRawCredentialReads : IExplainedCustomRule
{
    public bool MeetsRule(TypeDefinition type) => !Explain(type).Any();

    public IEnumerable<string> Explain(TypeDefinition type) =>
        type.Methods
            .Where(m => m.HasBody)
            .SelectMany(m => m.Body.Instructions
                .Select(i => i.Operand)
                .OfType<MethodReference>()
                .Where(IsRawCredentialRead)
                .Select(target => $"{m.Name} calls {CecilTypes.NameOf(target.DeclaringType)}.{target.Name}"))
            .Distinct(StringComparer.Ordinal);

    private static bool IsRawCredentialRead(MethodReference target) =>
        (CecilTypes.NameOf(target.DeclaringType), target.Name) switch
        {
            ("System.Environment", "GetEnvironmentVariable" or "GetEnvironmentVariables" or "ExpandEnvironmentVariables") => true,
            ("System.IO.File", var name) => name.StartsWith("Read", StringComparison.Ordinal) || name.StartsWith("Open", StringComparison.Ordinal),
            ("System.IO.FileInfo", var name) => name.StartsWith("Open", StringComparison.Ordinal),
            ("System.IO.FileStream", ".ctor") => true,
            // new StreamReader(path) opens a file; new StreamReader(stream) does not.
            ("System.IO.StreamReader", ".ctor") => target.Parameters.Count > 0 && target.Parameters[0].ParameterType.FullName == "System.String",
            _ => false,
        };
}
