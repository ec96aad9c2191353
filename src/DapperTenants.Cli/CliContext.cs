using DapperTenants.Cli.Output;
using Spectre.Console;

namespace DapperTenants.Cli;

/// <summary>The writers of one run: a Spectre console over standard output for humans, the raw writers for SQL and JSON.</summary>
internal sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error)
    {
        Output = output;
        Error = error;
        IsTerminal = CliConsole.IsTerminal(output);
        Console = CliConsole.Create(output, IsTerminal);
    }

    /// <summary>Standard output, for text that must not be wrapped or decorated (SQL, JSON).</summary>
    public TextWriter Output { get; }

    /// <summary>Standard error: one line per failure.</summary>
    public TextWriter Error { get; }

    /// <summary>Standard input when it is an interactive terminal, for confirmations; <see langword="null"/> when redirected or absent.</summary>
    public TextReader? TerminalInput { get; init; }

    /// <summary>Whether standard output is an interactive terminal (not redirected, not a test's writer).</summary>
    public bool IsTerminal { get; }

    /// <summary>Tables, rules and colour for humans; plain text when <see cref="IsTerminal"/> is false or NO_COLOR is set.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>A border that reads well in a terminal, and as Markdown when piped into a file or an issue.</summary>
    public TableBorder TableBorder => IsTerminal ? TableBorder.Rounded : TableBorder.Markdown;

    /// <summary>
    /// Writes a table: boxed on a terminal; as a Markdown table otherwise, without the blank border lines Spectre pads
    /// it with, so it pastes cleanly into an issue or a README.
    /// </summary>
    public void Write(Table table)
    {
        if (IsTerminal)
        {
            Console.Write(table);
            return;
        }

        using var buffer = new StringWriter();
        CliConsole.Create(buffer, isTerminal: false).Write(table);
        foreach (var line in buffer.ToString().Split('\n'))
        {
            var text = line.TrimEnd('\r', ' ');
            if (text.Length > 0)
            {
                Output.WriteLine(text);
            }
        }
    }

    /// <summary>
    /// Writes markup lines indented by two spaces: wrapped with a hanging indent on a terminal, one line each otherwise
    /// (Spectre would pad every line to the widest with trailing spaces).
    /// </summary>
    public void WriteIndented(params string[] markupLines)
    {
        if (IsTerminal)
        {
            Console.Write(new Padder(new Rows(markupLines.Select(line => new Markup(line)))).Padding(2, 0, 0, 0));
            return;
        }

        foreach (var line in markupLines)
        {
            Console.MarkupLine("  " + line);
        }
    }

    /// <summary>Creates a table with the run's border and the given columns.</summary>
    public Table CreateTable(params string[] columns)
    {
        var table = new Table().Border(TableBorder);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(column)));
        }

        return table;
    }
}
