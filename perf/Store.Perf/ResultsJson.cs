using System.Text.Json;

namespace Store.Perf;

/// <summary>
/// Writes the stable JSON of issue 5:
/// <c>{"params":{...}, "machine":{...}, "results":[{"store", "load_ops_per_s", "update_ops_per_s",
/// "barrier_pause_us":{"p50","p99","max"}, "checkpoint_durable_ms":{"p50","max"}, "incremental_bytes":[...],
/// "logical_changed_bytes":[...], "write_amplification", "recovery_ms", "peak_rss_bytes", "verified"}]}</c>,
/// plus "checkpoint_incremental" (one bool per entry of incremental_bytes, which holds every
/// checkpoint after the first full one, including fulls a chain bound forced) and
/// "write_amplification_overall" (every one of those bytes ÷ all logical change).
/// Field names are part of the interface other tools read: change them only with a new schema.
/// </summary>
internal static class ResultsJson
{
    public static void Write(string path, PerfOptions options, IReadOnlyList<RunResult> results)
    {
        using FileStream file = File.Create(path);
        using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("params");
        json.WriteNumber("keys", options.Keys);
        json.WriteNumber("value_size", options.ValueSize);
        json.WriteString("dist", options.Distribution);
        json.WriteNumber("ops_per_interval", options.OpsPerInterval);
        json.WriteNumber("checkpoints", options.Checkpoints);
        json.WriteNumber("seed", options.Seed);
        if (options.StoreMaxChain is int chain)
        {
            json.WriteNumber("store_max_chain", chain);
        }

        json.WriteStartArray("stores");
        foreach (string store in options.Stores)
        {
            json.WriteStringValue(store);
        }

        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartObject("machine");
        json.WriteNumber("cpus", Environment.ProcessorCount);
        json.WriteString("os", System.Runtime.InteropServices.RuntimeInformation.OSDescription);
        json.WriteString("runtime", System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
        json.WriteNumber("memory_bytes", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        json.WriteString("utc", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteEndObject();

        json.WriteStartArray("results");
        foreach (RunResult result in results)
        {
            json.WriteStartObject();
            json.WriteString("store", result.Store);
            Number(json, "load_ops_per_s", result.LoadOpsPerSecond);
            Number(json, "update_ops_per_s", result.UpdateOpsPerSecond);
            json.WriteStartObject("barrier_pause_us");
            Number(json, "p50", Stats.Percentile(result.BarrierPausesMicroseconds, 0.5));
            Number(json, "p99", Stats.Percentile(result.BarrierPausesMicroseconds, 0.99));
            Number(json, "max", Stats.Max(result.BarrierPausesMicroseconds));
            json.WriteEndObject();
            json.WriteStartObject("checkpoint_durable_ms");
            Number(json, "p50", Stats.Percentile(result.DurableMilliseconds, 0.5));
            Number(json, "max", Stats.Max(result.DurableMilliseconds));
            json.WriteEndObject();
            json.WriteStartArray("incremental_bytes");
            foreach (long bytes in result.CheckpointBytes)
            {
                json.WriteNumberValue(bytes);
            }

            json.WriteEndArray();
            json.WriteStartArray("checkpoint_incremental"); // beside incremental_bytes: false where a chain bound forced a full checkpoint
            foreach (bool incremental in result.CheckpointIncremental)
            {
                json.WriteBooleanValue(incremental);
            }

            json.WriteEndArray();
            json.WriteStartArray("logical_changed_bytes");
            foreach (long bytes in result.LogicalChangedBytes)
            {
                json.WriteNumberValue(bytes);
            }

            json.WriteEndArray();
            Number(json, "write_amplification", result.WriteAmplification);
            Number(json, "write_amplification_overall", result.OverallWriteAmplification);
            Number(json, "recovery_ms", result.RecoveryMilliseconds);
            json.WriteNumber("peak_rss_bytes", result.PeakRssBytes);
            json.WriteBoolean("verified", result.Verified);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>JSON has no NaN: a statistic without samples is null.</summary>
    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, Math.Round(value, 3));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
