using System.Security.Cryptography;
using System.Text;

namespace Ops.Core.Log.Integrity;

/// <summary>
/// Feeds a <see cref="ChainScanner"/> from a reader that hands it rows in position order, hashing each batch of
/// rows on another thread while the reader reads the next (issue 21 item 6: reading and hashing each took about
/// half of a verify, one after the other). Every row is hashed chained on its own stored prev_hash, and the scanner
/// checks, in order, that the stored prev_hash is the previous row's hash before it compares the row's hash, so a
/// row is accepted exactly when <see cref="ChainScanner.Step(in ChainRow, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
/// would accept it, with the same first failure, message and rows checked. The reader may read up to one batch
/// past a break; <see cref="FailedAsync"/> decides whether a read failure there counts.
/// </summary>
public sealed class ChainPipeline(ChainScanner scanner, IProgress<long>? progress)
{
    private const int RowsPerBatch = 1_024;
    private const int BytesPerBatch = 2 * 1024 * 1024;

    private Batch _filling = new();
    private Batch _free = new();
    private Batch? _hashed;
    private Task? _hashing;

    /// <summary>Adds a row given as its stored columns (texts as UTF-8); true when the batch is full and <see cref="FlushAsync"/> is due.</summary>
    public bool Add(long position, ReadOnlySpan<byte> eventId, ReadOnlySpan<byte> streamIdUtf8, long streamVersion, ReadOnlySpan<byte> eventTypeUtf8, long occurredAtTicks, ReadOnlySpan<byte> sourceRefUtf8, long? sourceSequence, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> storedPrevious, ReadOnlySpan<byte> storedHash)
    {
        var size = LogChain.InputSize(storedPrevious.Length, eventId.Length, streamIdUtf8.Length, eventTypeUtf8.Length, sourceRefUtf8.Length, envelope.Length);
        var row = _filling.Reserve(position, size, storedPrevious.Length, storedHash);
        LogChain.WriteInput(row, storedPrevious, position, eventId, streamIdUtf8, streamVersion, eventTypeUtf8, occurredAtTicks, sourceRefUtf8, sourceSequence, envelope);
        return _filling.IsFull;
    }

    /// <summary>Adds a row given as a <see cref="ChainRow"/> (texts encoded to UTF-8 as the chain hashes them); true when <see cref="FlushAsync"/> is due.</summary>
    public bool Add(in ChainRow row, ReadOnlySpan<byte> storedPrevious, ReadOnlySpan<byte> storedHash)
    {
        var streamLength = Encoding.UTF8.GetByteCount(row.StreamId);
        var typeLength = Encoding.UTF8.GetByteCount(row.EventType);
        var sourceLength = Encoding.UTF8.GetByteCount(row.SourceRef);
        var length = streamLength + typeLength + sourceLength;
        Span<byte> buffer = length <= 1024 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(row.StreamId, buffer);
        Encoding.UTF8.GetBytes(row.EventType, buffer[streamLength..]);
        Encoding.UTF8.GetBytes(row.SourceRef, buffer[(streamLength + typeLength)..]);
        return Add(row.Position, row.EventId, buffer[..streamLength], row.StreamVersion, buffer.Slice(streamLength, typeLength), row.OccurredAtTicks, buffer.Slice(streamLength + typeLength, sourceLength), row.SourceSequence, row.Envelope, storedPrevious, storedHash);
    }

    /// <summary>
    /// Checks the batch hashed before (waiting for its hash), then starts hashing the one just filled; false once the
    /// chain is broken (the reader stops).
    /// </summary>
    public async ValueTask<bool> FlushAsync()
    {
        if (!await CheckHashedAsync())
        {
            return false;
        }

        if (_filling.Count > 0)
        {
            var batch = _filling;
            _hashed = batch;
            _hashing = Task.Run(batch.Hash);
            _filling = _free;
            _free = null!;
        }

        return true;
    }

    /// <summary>Checks every row read so far; at the end of the reader's rows.</summary>
    public async ValueTask CompleteAsync()
    {
        if (await CheckHashedAsync() && _filling.Count > 0)
        {
            _filling.Hash();
            Check(_filling);
        }

        progress?.Report(scanner.RowsChecked);
    }

    /// <summary>
    /// After the reader threw: checks the rows read before the failure, as a scan without read-ahead would have, and
    /// says whether the failure counts (false: the chain broke before it, where such a scan would have stopped reading).
    /// </summary>
    public async ValueTask<bool> FailedAsync()
    {
        if (await CheckHashedAsync() && _filling.Count > 0)
        {
            _filling.Hash();
            Check(_filling);
        }

        return !scanner.IsBroken;
    }

    private async ValueTask<bool> CheckHashedAsync()
    {
        if (_hashing is null)
        {
            return !scanner.IsBroken;
        }

        await _hashing;
        _hashing = null;
        var batch = _hashed!;
        _hashed = null;
        var ok = Check(batch);
        _free = batch;
        return ok;
    }

    private bool Check(Batch batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (!scanner.StepHashed(batch.Positions[i], batch.StoredPrevious(i), batch.StoredHash(i), batch.Recomputed(i)))
            {
                batch.Reset();
                return false;
            }

            if (scanner.RowsChecked % 100_000 == 0)
            {
                progress?.Report(scanner.RowsChecked);
            }
        }

        batch.Reset();
        return true;
    }

    /// <summary>Rows laid out as hash inputs (each starting with its stored prev_hash) followed by their stored row_hash.</summary>
    private sealed class Batch
    {
        private byte[] _data = new byte[BytesPerBatch + (64 * 1024)];
        private readonly int[] _input = new int[RowsPerBatch];
        private readonly int[] _inputLength = new int[RowsPerBatch];
        private readonly int[] _previousLength = new int[RowsPerBatch];
        private readonly int[] _hashLength = new int[RowsPerBatch];
        private readonly byte[] _recomputed = new byte[RowsPerBatch * LogChain.HashSize];
        private int _used;

        public long[] Positions { get; } = new long[RowsPerBatch];

        public int Count { get; private set; }

        public bool IsFull => Count == RowsPerBatch || _used >= BytesPerBatch;

        public Span<byte> Reserve(long position, int inputSize, int previousLength, ReadOnlySpan<byte> storedHash)
        {
            var needed = _used + inputSize + storedHash.Length;
            if (needed > _data.Length)
            {
                Array.Resize(ref _data, Math.Max(needed, _data.Length * 2));
            }

            var i = Count++;
            Positions[i] = position;
            _input[i] = _used;
            _inputLength[i] = inputSize;
            _previousLength[i] = previousLength;
            _hashLength[i] = storedHash.Length;
            storedHash.CopyTo(_data.AsSpan(_used + inputSize));
            var row = _data.AsSpan(_used, inputSize);
            _used = needed;
            return row;
        }

        public ReadOnlySpan<byte> StoredPrevious(int i) => _data.AsSpan(_input[i], _previousLength[i]);

        public ReadOnlySpan<byte> StoredHash(int i) => _data.AsSpan(_input[i] + _inputLength[i], _hashLength[i]);

        public ReadOnlySpan<byte> Recomputed(int i) => _recomputed.AsSpan(i * LogChain.HashSize, LogChain.HashSize);

        public void Hash()
        {
            for (var i = 0; i < Count; i++)
            {
                SHA256.HashData(_data.AsSpan(_input[i], _inputLength[i]), _recomputed.AsSpan(i * LogChain.HashSize, LogChain.HashSize));
            }
        }

        public void Reset()
        {
            Count = 0;
            _used = 0;
        }
    }
}
