using Ops.Core.Log.Integrity;

namespace Ops.Storage.Relational;

/// <summary>The chain scan of an engine whose rows arrive as <see cref="StoredRow"/>s (PostgreSQL, SQL Server).</summary>
public static class ChainScan
{
    /// <summary>Steps <paramref name="scanner"/> over <paramref name="rows"/> until it breaks, reporting rows checked every 100,000.</summary>
    public static async ValueTask RunAsync(IAsyncEnumerable<StoredRow> rows, ChainScanner scanner, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scanner);

        // Each batch of rows is hashed on another thread while the next is read (ChainPipeline).
        var pipeline = new ChainPipeline(scanner, progress);
        try
        {
            await foreach (var stored in rows.WithCancellation(cancellationToken))
            {
                if (pipeline.Add(stored.Row, stored.PrevHash, stored.RowHash) && !await pipeline.FlushAsync())
                {
                    progress?.Report(scanner.RowsChecked);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (await pipeline.FailedAsync())
            {
                throw;
            }

            progress?.Report(scanner.RowsChecked);
            return;
        }

        await pipeline.CompleteAsync();
    }
}
