namespace Ops.Core.Log.Integrity;

/// <summary>
/// The log's chain check, one row at a time, in position order: the position must be the next one, the
/// stored prev_hash must be the previous row's hash, and the row's columns must hash to its stored
/// row_hash. It stops at the first row that fails (nothing after a break can be trusted). One scanner
/// serves the database verify, the offline export verify and the tamper tests, so all check the same way.
/// Its state is only (next position, previous hash): a scan that starts from a verified row's state
/// gives the result a scan from position 1 would.
/// </summary>
public sealed class ChainScanner
{
    private readonly byte[] _previous = new byte[LogChain.HashSize];
    private readonly byte[] _recomputed = new byte[LogChain.HashSize];

    /// <summary>A scan from position 1 (genesis), or from <paramref name="expected"/> after a row whose hash is <paramref name="previous"/>.</summary>
    public ChainScanner(long expected = 1, ReadOnlySpan<byte> previous = default)
    {
        Expected = expected;
        LastPosition = expected - 1;
        (previous.IsEmpty ? LogChain.Genesis : previous).CopyTo(_previous);
    }

    /// <summary>The position the next row must have.</summary>
    public long Expected { get; private set; }

    /// <summary>Rows checked so far.</summary>
    public long RowsChecked { get; private set; }

    /// <summary>The position of the last row checked (the start minus one before any).</summary>
    public long LastPosition { get; private set; }

    /// <summary>The position where the chain broke; null while intact.</summary>
    public long? BrokenAt { get; private set; }

    /// <summary>What broke there, for an operator; null while intact.</summary>
    public string? Problem { get; private set; }

    /// <summary>Whether the chain broke.</summary>
    public bool IsBroken => BrokenAt is not null;

    /// <summary>Checks a row given as its stored columns (texts as UTF-8); false once the chain is broken.</summary>
    public bool Step(long position, ReadOnlySpan<byte> eventId, ReadOnlySpan<byte> streamIdUtf8, long streamVersion, ReadOnlySpan<byte> eventTypeUtf8, long occurredAtTicks, ReadOnlySpan<byte> sourceRefUtf8, long? sourceSequence, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> storedPrevious, ReadOnlySpan<byte> storedHash)
    {
        if (!Begin(position, storedPrevious))
        {
            return false;
        }

        LogChain.RowHashUtf8(_previous, position, eventId, streamIdUtf8, streamVersion, eventTypeUtf8, occurredAtTicks, sourceRefUtf8, sourceSequence, envelope, _recomputed);
        return End(position, storedHash);
    }

    /// <summary>Checks a row given as a <see cref="ChainRow"/>; false once the chain is broken.</summary>
    public bool Step(in ChainRow row, ReadOnlySpan<byte> storedPrevious, ReadOnlySpan<byte> storedHash)
    {
        if (!Begin(row.Position, storedPrevious))
        {
            return false;
        }

        LogChain.RowHash(_previous, row.Position, row.EventId, row.StreamId, row.StreamVersion, row.EventType, row.OccurredAtTicks, row.SourceRef, row.SourceSequence, row.Envelope, _recomputed);
        return End(row.Position, storedHash);
    }

    /// <summary>
    /// Checks a row whose hash input was hashed ahead of the check (<see cref="ChainPipeline"/>), chained on its own
    /// stored prev_hash: once that is found equal to the previous row's hash, this is the hash <see cref="Step(in ChainRow, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    /// would compute; false once the chain is broken.
    /// </summary>
    public bool StepHashed(long position, ReadOnlySpan<byte> storedPrevious, ReadOnlySpan<byte> storedHash, ReadOnlySpan<byte> recomputed)
    {
        if (!Begin(position, storedPrevious))
        {
            return false;
        }

        recomputed.CopyTo(_recomputed);
        return End(position, storedHash);
    }

    /// <summary>The result so far: valid when no row failed.</summary>
    public LogVerification Result() =>
        new(!IsBroken, RowsChecked, IsBroken ? BrokenAt!.Value : LastPosition, Convert.ToHexStringLower(_previous), BrokenAt, Problem);

    /// <summary>The hash of the last row that checked out (genesis before any).</summary>
    public byte[] PreviousHash => (byte[])_previous.Clone();

    private bool Begin(long position, ReadOnlySpan<byte> storedPrevious)
    {
        if (IsBroken)
        {
            return false;
        }

        RowsChecked++;
        if (position > Expected)
        {
            // Named where the log stops being what it was: the first missing position.
            return Fail(Expected, $"gap: expected position {Expected}, found {position} (positions {Expected}..{position - 1} are missing: removed)");
        }

        if (position < Expected)
        {
            return Fail(position, $"expected position {Expected}, found {position} again (out of order or duplicated)");
        }

        return storedPrevious.SequenceEqual(_previous)
            || Fail(position, "prev_hash does not link to the row before it (a row before it was inserted, removed or replaced, or this row's link was edited)");
    }

    private bool End(long position, ReadOnlySpan<byte> storedHash)
    {
        if (!storedHash.SequenceEqual(_recomputed))
        {
            return Fail(position, "row content does not match its row_hash (the row was altered)");
        }

        _recomputed.CopyTo(_previous, 0);
        LastPosition = position;
        Expected = position + 1;
        return true;
    }

    private bool Fail(long position, string problem)
    {
        (BrokenAt, Problem) = (position, problem);
        return false;
    }
}
