using DapperTenants.Cli.Commands;
using Spectre.Console;

namespace DapperTenants.Cli.Installer;

/// <summary>Shows a <see cref="PolicyPlan"/>: its steps with their reasons, its SQL, warnings and errors.</summary>
internal sealed class PlanRenderer
{
    private readonly CliContext _context;

    public PlanRenderer(CliContext context)
    {
        _context = context;
    }

    private IAnsiConsole Console => _context.Console;

    public void WriteModel(AppAssembly app, string setting, string? signingKeyId = null, string? registry = null)
    {
        var names = string.Join(", ", app.RlsTypes.Select(t => t.Name));
        var signed = signingKeyId is null ? string.Empty : $", signed context with key [bold]{Markup.Escape(signingKeyId)}[/]";
        var registered = registry is null ? string.Empty : ", " + Markup.Escape(registry);
        Console.MarkupLine($"[bold]{app.RlsTypes.Count}[/] [[Rls]] types in [bold]{Markup.Escape(app.FileName)}[/]: {Markup.Escape(names)} (setting [bold]{Markup.Escape(setting)}[/]{signed}{registered})");
    }

    /// <summary>Runs <paramref name="work"/> under a spinner on a terminal, or after one plain line otherwise.</summary>
    public async Task<T> WithStatusAsync<T>(string status, Func<Task<T>> work)
    {
        if (_context.IsTerminal)
        {
            return await Console.Status().StartAsync(Markup.Escape(status), _ => work()).ConfigureAwait(false);
        }

        Console.WriteLine(status);
        return await work().ConfigureAwait(false);
    }

    public async Task WritePlanAsync(PolicyPlan plan, bool applied)
    {
        if (plan.Steps.Count > 0)
        {
            var table = _context.CreateTable("#", "Target", "Reason");
            var number = 0;
            foreach (var step in plan.Steps)
            {
                number++;
                table.AddRow(number.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(step.Target), Markup.Escape(step.Reason));
            }

            Console.WriteLine();
            _context.Write(table);
            if (!applied)
            {
                // Raw, so long statements are never wrapped and the block can be reviewed or copied into psql.
                Console.WriteLine();
                Console.MarkupLine("[bold]SQL to apply:[/]");
                await _context.Output.WriteLineAsync(plan.ToSql().TrimEnd()).ConfigureAwait(false);
            }
        }

        foreach (var warning in plan.Warnings)
        {
            Console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        }

        foreach (var error in plan.Errors)
        {
            Console.MarkupLine($"[red]error:[/] {Markup.Escape(error)}");
        }

        Console.WriteLine();
        Console.MarkupLine(Summary(plan, applied));
    }

    private static string Summary(PolicyPlan plan, bool applied)
    {
        var steps = plan.Steps.Count == 1 ? "1 step" : $"{plan.Steps.Count} steps";
        if (plan.Errors.Count > 0)
        {
            return $"[red]{plan.Errors.Count} error(s):[/] fix the [[Rls]] types or the tables, then run {(applied ? "apply" : "plan")} again.";
        }

        if (applied)
        {
            return plan.IsEmpty ? "[green]Nothing to apply:[/] the database already matches the [[Rls]] types." : $"[green]Applied {steps}.[/]";
        }

        return plan.IsEmpty
            ? "[green]No drift:[/] the database matches the [[Rls]] types."
            : $"[yellow]Drift: {steps} to apply.[/] Run '{CliApp.Name} apply' with the same options to apply them.";
    }
}
