namespace Snapshot.Diagnostics;

/// <summary>
/// Named instants in the write path where the crash tests stop the process (SIGKILL). Production
/// code only pays a null check. The names are listed in one place so a test can aim at each.
/// </summary>
internal static class FaultPoints
{
    public const string DataRecords = "data-records";          // every 64th page record of a data file
    public const string DataWritten = "data-written";          // trailer written, before the data fsync
    public const string DataSynced = "data-synced";            // data durable, catalog not yet committed
    public const string CatalogSlotHalf = "catalog-slot-half"; // half of a catalog slot written
    public const string CatalogCommitted = "catalog-committed";
    public const string RetentionDelete = "retention-delete";  // before each obsolete file is deleted

    public static Action<string>? Hook { get; set; }

    public static void Hit(string name) => Hook?.Invoke(name);
}
