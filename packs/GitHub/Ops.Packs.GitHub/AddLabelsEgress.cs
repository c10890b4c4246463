using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ops.Core.Egress;
using Ops.Core.Packs;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub;

/// <summary>Registers AddLabels: the command, its event, and its egress to destination <c>github</c>.</summary>
internal static class AddLabelsFeature
{
    public static void Register(IPackBuilder builder) => builder
        .AddEvent<LabelsAddRequested>(AddLabelsNames.LabelsAddRequested)
        .AddEgressCommand(AddLabelsNames.AddLabels, AddLabelsNames.Destination, CommandTarget<AddLabels>.FromPayload(c => AddLabelsNames.TargetOf(c.Repository, c.IssueNumber)));
}

/// <summary>Decides AddLabels: checks the shape and previews the labels; nothing goes to GitHub here.</summary>
internal sealed class AddLabelsHandler : ICommandHandler<AddLabels>
{
    public ValueTask<Decision> DecideAsync(CommandContext<AddLabels> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var c = context.Command;
        if (c.Repository.Split('/') is not [{ Length: > 0 }, { Length: > 0 }] || c.IssueNumber < 1 || c.Labels is not { Count: > 0 and <= 100 } || c.Labels.Any(l => string.IsNullOrWhiteSpace(l) || l.Length > 50))
        {
            return ValueTask.FromResult(Decision.Reject("invalid_labels", "repository must be owner/repo, issue_number at least 1, and labels 1 to 100 names of 1 to 50 characters"));
        }

        return ValueTask.FromResult(Decision.Accept(new LabelsAddRequested(c.Repository, c.IssueNumber, c.Labels))
            .WithPreview(null, new { repository = c.Repository, issue_number = c.IssueNumber, add_labels = c.Labels }, Reversibility.Compensatable));
    }
}

/// <summary>
/// Sends AddLabels to GitHub: <c>POST /repos/{owner}/{repo}/issues/{n}/labels</c> with <c>{"labels":[…]}</c> and the
/// request's <c>Idempotency-Key</c>, on the kernel's client (its credential is added by the kernel, never seen here).
/// Compensation removes each label again (<c>DELETE …/labels/{name}</c>; a 404 means it is already gone).
/// </summary>
internal sealed class AddLabelsEgress : IEgressHandler<AddLabels>
{
    public async ValueTask<EgressResult> DispatchAsync(EgressCall<AddLabels> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var http = call.Http ?? throw new InvalidOperationException("Destination 'github' has no BaseUrl: set Ops:Egress:Destinations:github:BaseUrl.");
        var body = JsonSerializer.SerializeToUtf8Bytes(new { labels = call.Command.Labels });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"repos/{call.Command.Repository}/issues/{call.Command.IssueNumber}/labels")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        Headers(request, call.IdempotencyKey);
        using var response = await http.SendAsync(request, cancellationToken);
        return Classify(response.StatusCode);
    }

    public async ValueTask<EgressResult> CompensateAsync(EgressCall<AddLabels> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var http = call.Http ?? throw new InvalidOperationException("Destination 'github' has no BaseUrl: set Ops:Egress:Destinations:github:BaseUrl.");
        var last = HttpStatusCode.NoContent;
        foreach (var label in call.Command.Labels)
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, $"repos/{call.Command.Repository}/issues/{call.Command.IssueNumber}/labels/{Uri.EscapeDataString(label)}");
            Headers(request, call.IdempotencyKey + ":undo");
            using var response = await http.SendAsync(request, cancellationToken);
            last = response.StatusCode;
            if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
            {
                return Classify(response.StatusCode);
            }
        }

        return EgressResult.Executed((int)last);
    }

    private static void Headers(HttpRequestMessage request, string idempotencyKey)
    {
        request.Headers.Accept.ParseAdd("application/vnd.github.v3+json");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
    }

    /// <summary>2xx took effect; 429 and 5xx may succeed later; any other status will not.</summary>
    private static EgressResult Classify(HttpStatusCode status) => (int)status switch
    {
        >= 200 and < 300 => EgressResult.Executed((int)status),
        429 or >= 500 => EgressResult.Retry((int)status, "GitHub answered " + (int)status),
        _ => EgressResult.Failed((int)status, "GitHub answered " + (int)status),
    };
}
