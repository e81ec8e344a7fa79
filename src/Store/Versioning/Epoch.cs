namespace Store.Versioning;

/// <summary>
/// A version number of the store's state. The live version starts at 1; every Freeze turns the
/// live version into a frozen one and opens the next. <see cref="None"/> (0) is "before any write",
/// the base of a full checkpoint.
/// </summary>
public readonly record struct Epoch(uint Value) : IComparable<Epoch>
{
    public static Epoch None => default;

    public static Epoch First => new(1);

    public Epoch Next => Value == uint.MaxValue
        ? throw new OverflowException("The store has used all 2^32 epochs; reopen it from a checkpoint.")
        : new Epoch(Value + 1);

    public int CompareTo(Epoch other) => Value.CompareTo(other.Value);

    public static bool operator <(Epoch a, Epoch b) => a.Value < b.Value;
    public static bool operator >(Epoch a, Epoch b) => a.Value > b.Value;
    public static bool operator <=(Epoch a, Epoch b) => a.Value <= b.Value;
    public static bool operator >=(Epoch a, Epoch b) => a.Value >= b.Value;

    public static Epoch Max(Epoch a, Epoch b) => a.Value >= b.Value ? a : b;

    public override string ToString() => $"epoch {Value}";
}
