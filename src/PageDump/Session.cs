using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;
using Store.Diagnostics;

namespace PageDump;

/// <summary>
/// One invocation's output: tables (Spectre.Console) or JSON on <see cref="Out"/>, messages and
/// progress on <see cref="Err"/>, and the exit code the damage met so far calls for.
/// </summary>
internal sealed class Session
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly bool _terminal;
    private IAnsiConsole? _console;

    public Session(TextWriter output, TextWriter error, bool terminal)
    {
        Out = output;
        Err = error;
        _terminal = terminal;
    }

    public TextWriter Out { get; }

    public TextWriter Err { get; }

    public bool Json { get; set; }

    /// <summary>Corruption was met: the exit code becomes 3.</summary>
    public bool SawCorruption { get; private set; }

    /// <summary>Something else failed (say, one shard of several in a newer format): the exit code becomes 1 unless corruption was met.</summary>
    public bool SawFailure { get; private set; }

    public int ExitCode => SawCorruption ? ExitCodes.Corruption : SawFailure ? ExitCodes.Failure : ExitCodes.Clean;

    /// <summary>Spectre console on <see cref="Out"/>; plain text (no colour, no cursor codes, wide lines) unless it is the terminal.</summary>
    public IAnsiConsole Console => _console ??= CreateConsole();

    public void Corruption(StoreCorruptedException e, string? context = null)
    {
        SawCorruption = true;
        Err.WriteLine($"pagedump: {(context is null ? "" : context + ": ")}{e.Message}");
    }

    public void MarkCorruption() => SawCorruption = true;

    public void Failure(string message)
    {
        SawFailure = true;
        Err.WriteLine($"pagedump: {message}");
    }

    public void Warn(string message) => Err.WriteLine($"pagedump: warning: {message}");

    public void WriteJson<T>(T value)
    {
        Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
    }

    public void Write(IRenderable renderable) => Console.Write(renderable);

    public void Line(string text = "") => Out.WriteLine(text);

    /// <summary>Name/value lines, the values aligned.</summary>
    public void Pairs(IReadOnlyList<(string Name, string Value)> pairs)
    {
        int width = pairs.Max(p => p.Name.Length) + 2;
        foreach ((string name, string value) in pairs)
        {
            Out.WriteLine(name.PadRight(width) + value);
        }
    }

    /// <summary>A table whose cells are plain text (never markup).</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table { Border = TableBorder.Rounded };
        foreach (string column in columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(column)));
        }

        return table;
    }

    public static void Row(Table table, params string?[] cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Spectre.Console.Text(c ?? "")).ToArray());

    private IAnsiConsole CreateConsole()
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out),
            Ansi = _terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = _terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!_terminal)
        {
            console.Profile.Width = 240; // redirected output is read by people in pagers and by grep: don't wrap at 80
        }

        return console;
    }
}
