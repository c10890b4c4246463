using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Packs;
using Ops.TestKit.Echo.Contracts;

namespace Ops.TestKit.Echo;

/// <summary>Entry type of the echo fixture pack: one command, one event, one projection, one query.</summary>
public sealed class EchoPack : IOpsPack
{
    public void Register(IPackBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder
            .AddEvent<Shouted>(EchoNames.Shouted)
            .AddCommand(EchoNames.Shout, SafetyClass.WriteInternal, CommandTarget<Shout>.FromPayload(s => EchoNames.TargetOf(s.EchoId)))
            .AddProjection<EchoDocument>(EchoNames.EchoIndex, 1)
            .AddQuery<GetEcho, EchoDocument?>(EchoNames.GetEcho, EchoNames.GetEchoRoute);
    }
}

internal sealed class ShoutHandler : ICommandHandler<Shout>
{
    public async ValueTask<Decision> DecideAsync(CommandContext<Shout> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(context.Command.Text))
        {
            return Decision.Reject(EchoNames.EmptyText, "say something.");
        }

        if ((await context.Streams.ReadStreamAsync(context.TargetRef, cancellationToken)).Count > 0)
        {
            return Decision.Reject(EchoNames.EchoExists, $"echo {context.Command.EchoId} was said already.");
        }

        var shouted = new Shouted(context.Command.EchoId, context.Command.Text, context.Command.Tags ?? [], new EchoSource(context.Actor.Id, context.Scope.TenantId), context.Now);
        return Decision.Accept(shouted).WithPreview(null, EchoIndexProjection.Of(shouted));
    }
}

internal sealed class EchoIndexProjection : IProjection<EchoDocument>
{
    public IReadOnlyCollection<string> EventTypes { get; } = [EchoNames.Shouted];

    public static EchoDocument Of(Shouted shouted) => new(shouted.EchoId, shouted.Text, shouted.Source.ActorId);

    public string? KeyOf(EventEnvelope envelope) =>
        envelope.Payload.TryGetProperty("echo_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    public EchoDocument? Apply(EchoDocument? current, EventEnvelope envelope) => Of(envelope.PayloadAs<Shouted>());
}

internal sealed class GetEchoHandler : IQueryHandler<GetEcho, EchoDocument?>
{
    public ValueTask<EchoDocument?> ExecuteAsync(QueryContext<GetEcho> context, CancellationToken cancellationToken) =>
        context.Projections.GetAsync<EchoDocument>(EchoNames.EchoIndex, context.Query.EchoId, cancellationToken);
}
