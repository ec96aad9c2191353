using Spectre.Console;

namespace DapperTenants.Cli.Output;

/// <summary>Builds the Spectre console for a run: colour and animation only on a real terminal without NO_COLOR.</summary>
internal static class CliConsole
{
    /// <summary>
    /// The width used when output is redirected: nothing is wrapped (Spectre would otherwise wrap at 80 columns), since
    /// a file, a pager or a CI log wraps lines itself. Tables still take only the width their content needs.
    /// </summary>
    public const int RedirectedWidth = 1000;

    public static bool IsTerminal(TextWriter writer) => ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;

    public static IAnsiConsole Create(TextWriter writer, bool isTerminal)
    {
        // https://no-color.org: any non-empty NO_COLOR turns colour off.
        var colour = isTerminal && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = colour ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = colour ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!isTerminal)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }
}
