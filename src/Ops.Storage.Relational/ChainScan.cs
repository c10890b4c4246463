using Ops.Core.Log.Integrity;

namespace Ops.Storage.Relational;

/// <summary>The chain scan of an engine whose rows arrive as <see cref="StoredRow"/>s (PostgreSQL, SQL Server).</summary>
public static class ChainScan
{
    /// <summary>Steps <paramref name="scanner"/> over <paramref name="rows"/> until it breaks, reporting rows checked every 100,000.</summary>
    public static async ValueTask RunAsync(IAsyncEnumerable<StoredRow> rows, ChainScanner scanner, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scanner);
        await foreach (var stored in rows.WithCancellation(cancellationToken))
        {
            if (!scanner.Step(stored.Row, stored.PrevHash, stored.RowHash))
            {
                break;
            }

            if (scanner.RowsChecked % 100_000 == 0)
            {
                progress?.Report(scanner.RowsChecked);
            }
        }

        progress?.Report(scanner.RowsChecked);
    }
}
