using Ops.Core.Envelopes;
using Ops.Core.Log;

namespace Ops.Core.Storage;

/// <summary>A log row as stored: the chained columns and the two hashes.</summary>
internal sealed record StoredRow(ChainRow Row, byte[] PrevHash, byte[] RowHash);

/// <summary>A command outcome as the idempotency lookup needs it.</summary>
internal sealed record StoredOutcome(CommandOutcome Outcome, string ContentHash);

/// <summary>A chained outcome row as stored.</summary>
internal sealed record StoredOutcomeRow(OutcomeRow Row, byte[] PrevHash, byte[] RowHash);

/// <summary>A connector's durable cursor (constitution A8).</summary>
/// <param name="ConnectorId">The connector.</param>
/// <param name="Cursor">Cursor of the next page, null when the last sync completed.</param>
/// <param name="Watermark">The newest source time seen.</param>
/// <param name="Pages">Pages pulled by the current or last sync.</param>
/// <param name="UpdatedAtTicks">When it was written (UTC ticks).</param>
/// <param name="CompletedAtTicks">When the last sync completed, if it did.</param>
internal sealed record ConnectorCursor(string ConnectorId, string? Cursor, string? Watermark, int Pages, long UpdatedAtTicks, long? CompletedAtTicks);

/// <summary>A projection's checkpoint: the version that wrote it and the log position it covers.</summary>
internal readonly record struct ProjectionCheckpoint(int Version, long Position, long UpdatedAtTicks);
