namespace StaticNets;

/// <summary>What <see cref="ParameterTransfer.CopyMatching"/> did, tensor by tensor.</summary>
/// <param name="Copied">Tensors of the target that received the source's values (parameters and state).</param>
/// <param name="ShapeDiffers">Tensors both networks name, with different shapes (a replaced head): left as they were.</param>
/// <param name="OnlyInTarget">Tensors the source does not have: left as they were.</param>
public sealed record TransferResult(IReadOnlyList<string> Copied, IReadOnlyList<string> ShapeDiffers, IReadOnlyList<string> OnlyInTarget);

/// <summary>
/// Transfer learning between networks of different classes: the tensors a trained network shares with a new one (same
/// name, same shape: the layers below a replaced head) are copied into it, the rest keep their fresh initialization.
/// Freeze what was copied with <see cref="Optimizer.Freeze"/> or <see cref="Optimizer.FreezeThrough"/> to train only
/// the new head, then unfreeze to fine-tune. Stateless; a copy runs inside the target's write scope (do not train the
/// source meanwhile).
/// </summary>
public static class ParameterTransfer
{
    /// <summary>
    /// Copies every parameter and state tensor of <paramref name="source"/> whose name and shape the target has (running
    /// statistics too, so a copied BatchNorm normalizes as it learned to). <paramref name="include"/>, when given,
    /// chooses among them by tensor name. Writes inside the target's write scope: predictions on other threads see the
    /// network before or after, never half of it.
    /// </summary>
    public static TransferResult CopyMatching(INetwork source, INetwork target, Func<string, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (ReferenceEquals(source, target)) throw new ArgumentException("The source and the target are the same network.", nameof(target));
        var copied = new List<string>();
        var differs = new List<string>();
        var missing = new List<string>();
        using (target.BeginWrite())
        {
            Copy(source.ParameterTensors, source.Parameters, target.ParameterTensors, target.Parameters);
            Copy(source.StateTensors, source.State, target.StateTensors, target.State);
        }
        return new TransferResult(copied, differs, missing);

        void Copy(ReadOnlySpan<ParameterTensor> from, ReadOnlySpan<float> fromValues, ReadOnlySpan<ParameterTensor> to, Span<float> toValues)
        {
            foreach (ParameterTensor t in to)
            {
                int at = IndexOf(from, t.Name);
                if (at < 0)
                    missing.Add(t.Name);
                else if (from[at].Shape != t.Shape)
                    differs.Add($"{t.Name} ({from[at].Shape} in the source, {t.Shape} here)");
                else if (include is null || include(t.Name))
                {
                    fromValues.Slice(from[at].Offset, t.Length).CopyTo(toValues.Slice(t.Offset, t.Length));
                    copied.Add(t.Name);
                }
            }
        }
    }

    private static int IndexOf(ReadOnlySpan<ParameterTensor> tensors, string name)
    {
        for (int i = 0; i < tensors.Length; i++)
            if (tensors[i].Name == name) return i;
        return -1;
    }
}
