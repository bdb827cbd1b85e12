using OnnxTransfer.Features.Views;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// The batch slots of an extraction with views: one per (pending input, view it lacks), inputs in id order and each
/// input's views in id order, so an input's slots are consecutive and its rows are written together. Units are cut
/// over slots: an input whose slots straddle two units is decoded once in each (its error row, if any, is written once).
/// </summary>
internal sealed class ViewSlots
{
    private readonly int[] _item; // by slot: index into the pending inputs
    private readonly InputView[] _view; // by slot

    /// <param name="missing">By pending input: the views this run computes for it (at least one), in id order.</param>
    public ViewSlots(IReadOnlyList<IReadOnlyList<InputView>> missing)
    {
        var count = 0;
        foreach (var views in missing) count += views.Count;
        _item = new int[count];
        _view = new InputView[count];
        var slot = 0;
        for (var item = 0; item < missing.Count; item++)
        {
            foreach (var view in missing[item])
            {
                _item[slot] = item;
                _view[slot++] = view;
            }
        }
    }

    public int Count => _item.Length;

    /// <summary>The pending input slot <paramref name="slot"/> holds a view of.</summary>
    public int ItemOf(int slot) => _item[slot];

    public InputView ViewOf(int slot) => _view[slot];

    /// <summary>Whether <paramref name="slot"/> is its input's first slot of the whole run (where its error row goes).</summary>
    public bool IsFirstOfItem(int slot) => slot == 0 || _item[slot - 1] != _item[slot];

    /// <summary>Whether <paramref name="slot"/> is its input's last slot of the whole run (written: the input is done).</summary>
    public bool IsLastOfItem(int slot) => slot == _item.Length - 1 || _item[slot + 1] != _item[slot];

    /// <summary>The slots from <paramref name="slot"/> on (below <paramref name="end"/>) that hold the same input.</summary>
    public int SiblingsEnd(int slot, int end)
    {
        var last = slot;
        while (last + 1 < end && _item[last + 1] == _item[slot]) last++;
        return last + 1;
    }
}
