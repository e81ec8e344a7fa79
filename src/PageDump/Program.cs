namespace PageDump;

internal static class Program
{
    private static int Main(string[] args) => PageDumpApp.Run(args, Console.Out, Console.Error);
}
