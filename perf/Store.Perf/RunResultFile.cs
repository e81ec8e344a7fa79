using System.Text.Json;

namespace Store.Perf;

/// <summary>
/// A backend's raw result (every sample, not the summaries of the stable JSON), as a child process
/// hands it to the parent that prints the table. Internal to the harness: not a stable schema.
/// </summary>
internal static class RunResultFile
{
    public static void Write(string path, RunResult result)
    {
        using FileStream file = File.Create(path);
        using var json = new Utf8JsonWriter(file);
        json.WriteStartObject();
        json.WriteString("store", result.Store);
        json.WriteNumber("load", result.LoadOpsPerSecond);
        json.WriteNumber("update", result.UpdateOpsPerSecond);
        Array(json, "barrier_pauses_us", result.BarrierPausesMicroseconds, (w, x) => w.WriteNumberValue(x));
        Array(json, "durable_ms", result.DurableMilliseconds, (w, x) => w.WriteNumberValue(x));
        Array(json, "checkpoint_bytes", result.CheckpointBytes, (w, x) => w.WriteNumberValue(x));
        Array(json, "checkpoint_incremental", result.CheckpointIncremental, (w, x) => w.WriteBooleanValue(x));
        Array(json, "logical_changed_bytes", result.LogicalChangedBytes, (w, x) => w.WriteNumberValue(x));
        json.WriteNumber("recovery_ms", result.RecoveryMilliseconds);
        json.WriteNumber("peak_rss_bytes", result.PeakRssBytes);
        json.WriteBoolean("verified", result.Verified);
        json.WriteEndObject();
    }

    public static RunResult Read(string path)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = document.RootElement;
        var result = new RunResult(root.GetProperty("store").GetString()!)
        {
            LoadOpsPerSecond = root.GetProperty("load").GetDouble(),
            UpdateOpsPerSecond = root.GetProperty("update").GetDouble(),
            RecoveryMilliseconds = root.GetProperty("recovery_ms").GetDouble(),
            PeakRssBytes = root.GetProperty("peak_rss_bytes").GetInt64(),
            Verified = root.GetProperty("verified").GetBoolean(),
        };
        result.BarrierPausesMicroseconds.AddRange(root.GetProperty("barrier_pauses_us").EnumerateArray().Select(x => x.GetDouble()));
        result.DurableMilliseconds.AddRange(root.GetProperty("durable_ms").EnumerateArray().Select(x => x.GetDouble()));
        result.CheckpointBytes.AddRange(root.GetProperty("checkpoint_bytes").EnumerateArray().Select(x => x.GetInt64()));
        result.CheckpointIncremental.AddRange(root.GetProperty("checkpoint_incremental").EnumerateArray().Select(x => x.GetBoolean()));
        result.LogicalChangedBytes.AddRange(root.GetProperty("logical_changed_bytes").EnumerateArray().Select(x => x.GetInt64()));
        return result;
    }

    private static void Array<T>(Utf8JsonWriter json, string name, List<T> values, Action<Utf8JsonWriter, T> write)
    {
        json.WriteStartArray(name);
        foreach (T value in values)
        {
            write(json, value);
        }

        json.WriteEndArray();
    }
}
