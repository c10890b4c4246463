using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Packs;

namespace Ops.Core.Commands.Pipeline;

/// <summary>
/// Stage 3: binds the command to the object it acts on, through the binding its registration declares
/// (<see cref="CommandTarget{TCommand}"/>). Where the payload names the object, the kernel derives
/// target_ref and refuses a client target_ref that names another object. Pure.
/// </summary>
internal static class TargetStage
{
    public static StageResult<string> Run(Validated validated, CommandEnvelope envelope, string commandId, CoreState core, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var registration = validated.Registration;
        TargetBinding binding;
        try
        {
            binding = registration.Bind(validated.Payload, new TargetContext(envelope.TargetRef, commandId, core));
        }
        catch (Exception ex) when (ex is not OperationCanceledException && PackFaults.IsPack(registration.Owner))
        {
            return new Rejection(ReasonCodes.PackFault, PackFaults.Caught(logger, registration.Owner, "binding the target of " + registration.Name, ex));
        }

        if (binding.ObjectRef is not { } objectRef)
        {
            return new Rejection(binding.Code ?? ReasonCodes.InvalidTarget, $"{registration.Name}: {binding.Problem}");
        }

        if (objectRef.Length is 0 or > EnvelopeLimits.TargetRef)
        {
            return new Rejection(ReasonCodes.InvalidTarget, $"{registration.Name}: the object ref derived from the payload must be 1 to {EnvelopeLimits.TargetRef} characters");
        }

        if (envelope.TargetRef is { } claimed && !string.Equals(claimed, objectRef, StringComparison.Ordinal))
        {
            return new Rejection(ReasonCodes.TargetMismatch, $"target_ref '{Clip(claimed)}' is not the object the payload acts on, '{objectRef}'; omit target_ref and the kernel derives it")
            {
                Field = "target_ref",
                Claimed = claimed,
                Derived = objectRef,
            };
        }

        return objectRef;
    }

    private static string Clip(string value) => value.Length <= 96 ? value : value[..96] + "…";
}
