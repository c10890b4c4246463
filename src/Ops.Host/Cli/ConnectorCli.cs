using System.CommandLine;
using System.Globalization;
using Ops.Core.Commands;
using Ops.Core.Connectors;
using Ops.Core.Errors;

namespace Ops.Host.Cli;

/// <summary>
/// <c>connectors list | show &lt;name&gt; | reset &lt;name&gt; --reason "..."</c>: the stored cursor of each connector, and
/// its supported reset (for example after the base URL changed, which a stored cursor on the old origin refuses
/// forever). A reset needs core.ResetConnectorCursor on connector:&lt;name&gt; and is recorded as
/// core.ConnectorCursorReset; the next sync is a full backfill and tombstone sweep. Uses only Ops.Core's public
/// <see cref="ConnectorControl"/> (issue 8). Exit codes: 0 done, 1 refused or failed (nothing changed), 2 usage.
/// </summary>
internal static class ConnectorCli
{
    /// <summary>The <c>connectors</c> verb.</summary>
    /// <param name="asOption">The global --as option.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="withControl">Opens the kernel and runs an action with its control and the caller named by --as.</param>
    public static Command Command(Option<string?> asOption, TextWriter output, TextWriter error, Func<TextWriter, string?, Func<ConnectorControl, CallerContext, Task<int>>, Task<int>> withControl)
    {
        var list = new Command("list", "List the installed connectors with the acting actor's tenant's stored cursor, watermark and pages (each tenant runs its own).");
        list.SetAction((parse, ct) => withControl(error, parse.GetValue(asOption), async (control, caller) =>
        {
            foreach (var id in await CliLists.OrNoneAsync(output, control.ConnectorIds, "no connectors are installed"))
            {
                await output.WriteLineAsync(Describe(await control.ReadAsync(id, caller, ct)));
            }

            return 0;
        }));

        var showName = new Argument<string>("name") { Description = "The connector, <pack>.<name>, for example github.issues." };
        var show = new Command("show", "Show the acting actor's tenant's stored cursor, watermark and pages of one connector.") { showName };
        show.SetAction((parse, ct) => withControl(error, parse.GetValue(asOption), (control, caller) => GuardAsync(error, async () =>
        {
            await output.WriteLineAsync(Describe(await control.ReadAsync(parse.GetValue(showName)!, caller, ct)));
            return 0;
        })));

        var resetName = new Argument<string>("name") { Description = "The connector, <pack>.<name>, for example github.issues." };
        var reason = new Option<string>("--reason") { Description = "Why (recorded in the log with who and the old cursor).", Required = true };
        var reset = new Command("reset", "Reset the acting actor's tenant's cursor and watermark of a connector, recorded as core.ConnectorCursorReset; that tenant's next sync is a full backfill and tombstone sweep.") { resetName, reason };
        reset.SetAction((parse, ct) => withControl(error, parse.GetValue(asOption), (control, caller) => GuardAsync(error, async () =>
        {
            var result = await control.ResetAsync(parse.GetValue(resetName)!, caller, parse.GetValue(reason)!, ct);
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"RESET  {result.ConnectorId}: cursor {result.OldCursor ?? "(none)"}, watermark {result.OldWatermark ?? "(none)"}, {result.OldPages} page(s) cleared; recorded as event {result.EventId[..12]} at position {result.Position}."));
            return 0;
        })));

        return new Command("connectors", "Ingress connectors: stored cursors and their reset.") { list, show, reset };
    }

    private static string Describe(ConnectorCursorState state) => string.Create(
        CultureInfo.InvariantCulture,
        $"{state.ConnectorId}  cursor={state.Cursor ?? "-"}  watermark={state.Watermark ?? "-"}  pages={state.Pages}  completed_at={(state.CompletedAt is { } done ? done.ToString("O", CultureInfo.InvariantCulture) : "-")}");

    private static async Task<int> GuardAsync(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OpsException ex)
        {
            await error.WriteLineAsync($"ops: {ex.Code}: {ex.Message}");
            return 1;
        }
    }
}
