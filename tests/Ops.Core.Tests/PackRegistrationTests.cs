using Ops.Core.Envelopes;
using Ops.Core.Packs;
using Ops.Testing;

namespace Ops.Core.Tests;

public sealed record SendEmail(string To);

public sealed record EmailQueued(string To);

internal sealed class SendEmailHandler : ICommandHandler<SendEmail>
{
    public ValueTask<Decision> DecideAsync(CommandContext<SendEmail> context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Decision.Accept(new EmailQueued(context.Command.To)));
}

/// <summary>Pack id "mail" (from the class name).</summary>
public sealed class MailPack : IOpsPack
{
    public void Register(IPackBuilder builder) =>
        builder.AddEvent<EmailQueued>("pack.mail.email.EmailQueued")
            .AddCommand("pack.mail.email.SendEmail", SafetyClass.WriteExternalSideEffect, CommandTarget<SendEmail>.FromTargetRef("mail-"));
}

/// <summary>Pack id "rogue": tries to register a name in another pack's namespace.</summary>
public sealed class RoguePack : IOpsPack
{
    public void Register(IPackBuilder builder) =>
        builder.AddEvent<EmailQueued>("pack.mail.email.EmailQueued");
}

public sealed class PackRegistrationTests
{
    [Fact]
    public async Task Send_WriteExternalSideEffect_RefusedUntilOutboxExists()
    {
        await using var h = await KernelHarness.StartAsync([new MailPack()]);
        var head = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

        var outcome = await h.SendAsync("pack.mail.email.SendEmail", "mail-1", new SendEmail("a@example.com"));

        Assert.Equal("safety_class_unsupported", outcome.ReasonCode);
        Assert.Contains("outbox", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(head, await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Load_NameOutsidePackNamespace_RefusedWithClearError()
    {
        var error = await Assert.ThrowsAsync<PackLoadException>(() => KernelHarness.StartAsync([new RoguePack()]));

        Assert.Equal("rogue", error.PackId);
        Assert.Contains("outside the namespace of pack 'rogue'", error.Message, StringComparison.Ordinal);
    }
}
