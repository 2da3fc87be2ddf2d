using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace StaticNets;

/// <summary>What a generated network writes into its inference copy: everything inference reads, from one parameter state.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IInferenceSource
{
    /// <summary>Writes the values inference reads (packed and folded weights, normalization parameters) into <paramref name="destination"/>.</summary>
    void WriteInference(Span<float> destination);
}

/// <summary>
/// The values a generated network's inference reads, built from its parameters and state and published whole: the
/// copy readers use is never rewritten under them. Two buffers take turns: a rebuild writes the one not published
/// and then publishes it. A reader notes the buffer's sequence number before it reads and checks it after; a rebuild
/// makes the number odd while it writes and even again when done, so a reader whose buffer was rewritten meanwhile
/// (it had fetched the older buffer just before a switch) sees the change and reads again. Readers write no shared
/// memory and take no lock, so many threads predict at full speed; a reader that keeps losing its buffer to rebuilds
/// reads while holding rebuilds off. Allocates nothing after construction.
/// </summary>
/// <remarks>
/// A read: <c>BeginRead(guard, source, attempt)</c> for attempts 0, 1, 2, ..., each reading <see cref="InferenceRead.Values"/>
/// and ending with <see cref="EndRead"/> in a finally (a later attempt may hold rebuilds off), until <see cref="EndRead"/>
/// returns true. Where every nanosecond counts, attempt 0 is <c>BeginRead(guard, source)</c> checked with
/// <see cref="InferenceRead.IsCurrent"/> (it never holds), and the attempts from 1 on run elsewhere.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class InferenceCopy
{
    /// <summary>One buffer, the parameter version it was built from and its sequence number (odd while it is written).</summary>
    internal sealed class Buffer(int length)
    {
        public readonly ArraySegment<float> Values = AlignedArrays.Allocate(length);
        public long Version;
        public int Sequence;
    }

    private readonly Buffer _first, _second;
    private Buffer _published;

    // From this attempt on, a reader that keeps losing its buffer to rebuilds reads while holding them off.
    private const int HoldingAttempt = 3;

    /// <summary>Two buffers of <paramref name="length"/> floats, aligned to cache lines; nothing published yet.</summary>
    public InferenceCopy(int length)
    {
        _first = new Buffer(length);
        _second = new Buffer(length);
        _published = _first;
    }

    /// <summary>The current copy to read, rebuilt first if the parameters or state moved since it was built.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public InferenceRead BeginRead(ParameterGuard guard, IInferenceSource source)
    {
        Buffer buffer = Volatile.Read(ref _published);
        int sequence = Volatile.Read(ref buffer.Sequence);
        if (buffer.Version < guard.Version || (sequence & 1) != 0)
            return Fresh(guard, source);
        return new InferenceRead(buffer, sequence, holding: false);
    }

    /// <summary>
    /// The copy to read in attempt 0, 1, 2, ... of a read that repeats while it finds its copy replaced. From the third
    /// attempt on the read holds rebuilds off until <see cref="EndRead"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public InferenceRead BeginRead(ParameterGuard guard, IInferenceSource source, int attempt)
    {
        if (attempt == 0)
            return BeginRead(guard, source);
        if (attempt < HoldingAttempt)
            return Fresh(guard, source);
        // Rebuilds keep replacing the buffer under this reader: read the published one while holding them off. It was
        // published after the first attempt began, so it holds every write that ended before the read began.
        guard.EnterHold();
        Buffer buffer = Volatile.Read(ref _published);
        return new InferenceRead(buffer, buffer.Sequence, holding: true);
    }

    /// <summary>Ends a read begun with an attempt number: releases a hold, and says whether the values read were one complete copy.</summary>
    public static bool EndRead(InferenceRead read, ParameterGuard guard)
    {
        if (!read.Holding)
            return read.IsCurrent;
        guard.ExitHold();
        return true;
    }

    /// <summary>Rebuilds the copy now, whatever its version (after writes the network could not see).</summary>
    public void Rebuild(ParameterGuard guard, IInferenceSource source) => Rebuild(guard, source, long.MaxValue);

    // Builds a copy unless the published one was built at version `wanted` or later: several readers may find the copy
    // stale at once, and the first one's rebuild serves them all.
    private void Rebuild(ParameterGuard guard, IInferenceSource source, long wanted)
    {
        long version = guard.EnterRebuild();
        try
        {
            if (Volatile.Read(ref _published).Version >= wanted)
                return;
            Buffer target = _published == _first ? _second : _first;
            Interlocked.Increment(ref target.Sequence); // odd: readers still holding this buffer will read again
            source.WriteInference(target.Values);
            target.Version = version;
            Volatile.Write(ref target.Sequence, target.Sequence + 1);
            Volatile.Write(ref _published, target);
        }
        finally
        {
            guard.ExitRebuild();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private InferenceRead Fresh(ParameterGuard guard, IInferenceSource source)
    {
        // Writes that ended before the read began must show: a copy built at this version or later has them. Later
        // writes may or may not show, so a stream of them cannot keep the reader rebuilding.
        long wanted = guard.Version;
        while (true)
        {
            Buffer buffer = Volatile.Read(ref _published);
            if (buffer.Version < wanted)
            {
                Rebuild(guard, source, wanted);
                continue;
            }
            int sequence = Volatile.Read(ref buffer.Sequence);
            if ((sequence & 1) == 0)
                return new InferenceRead(buffer, sequence, holding: false);
            Thread.Yield(); // a rebuild is writing the buffer this thread fetched before the switch: fetch again
        }
    }
}

/// <summary>A read of an inference copy in progress: which buffer, and its sequence number when the read began.</summary>
// Three fields and passed by value, so the JIT keeps it in registers: in memory, copying it stalled on store forwarding.
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct InferenceRead
{
    internal readonly InferenceCopy.Buffer Buffer;
    internal readonly int Sequence;
    internal readonly bool Holding;

    internal InferenceRead(InferenceCopy.Buffer buffer, int sequence, bool holding) => (Buffer, Sequence, Holding) = (buffer, sequence, holding);

    /// <summary>The values to read.</summary>
    public ReadOnlySpan<float> Values => Buffer.Values;

    /// <summary>Whether no rebuild has written the buffer since the read began: the values read are one complete copy.</summary>
    public bool IsCurrent
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            // The values were read before the sequence is read again.
            Volatile.ReadBarrier();
            return Volatile.Read(ref Buffer.Sequence) == Sequence;
        }
    }
}
