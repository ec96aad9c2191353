using System.Diagnostics;
using System.Globalization;
using DapperTenants.Testing;
using Spectre.Console;

namespace DapperTenants.Cli.Demo;

/// <summary>
/// The README's first command: a throwaway server (or the given one), a database with an owner and an app login, two
/// [Rls] tables, and each isolation property shown and checked. Everything it creates is removed at the end.
/// </summary>
internal sealed partial class DemoRunner
{
    private const string Acme = "acme";
    private const string Globex = "globex";

    private readonly CliContext _context;
    private readonly int _iterations;
    private readonly List<string> _failures = [];
    private int _step;

    public DemoRunner(CliContext context, int iterations)
    {
        _context = context;
        _iterations = iterations;
    }

    /// <summary>
    /// Changes the options of the demo's tenant data source. A seam for the tests, which turn the guard off to show that
    /// the demo then reports a failed check instead of a pass.
    /// </summary>
    internal Action<TenantOptions>? ConfigureTenants { get; init; }

    private IAnsiConsole Console => _context.Console;

    public async Task<int> RunAsync(string? adminConnectionString, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var server = adminConnectionString is null
            ? await WithStatusAsync("Starting a throwaway PostgreSQL server…", () => PostgresServer.StartAsync(cancellationToken)).ConfigureAwait(false)
            : PostgresServer.FromConnectionString(adminConnectionString);
        await using (server.ConfigureAwait(false))
        {
            Console.MarkupLine($"PostgreSQL: {Markup.Escape(server.Description)}");
            var database = await server.CreateDatabaseAsync("demo", cancellationToken).ConfigureAwait(false);
            await using (database.ConfigureAwait(false))
            {
                Console.MarkupLine($"Database [bold]{Markup.Escape(database.Name)}[/]: owner role {Markup.Escape(database.OwnerRole)}, "
                    + $"app login {Markup.Escape(database.AppRole)} (NOSUPERUSER NOBYPASSRLS, owns nothing)");
                try
                {
                    await RunStepsAsync(database, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    // Also on a failed step and on Ctrl+C: the disposals below run either way.
                    Console.WriteLine();
                    Console.MarkupLine("Cleaning up: dropping the database and its roles" + (adminConnectionString is null ? ", stopping the server." : "."));
                }
            }
        }

        var seconds = clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        if (_failures.Count == 0)
        {
            Console.MarkupLine($"[green]Demo finished in {seconds} s: every check passed.[/]");
            return ExitCodes.Success;
        }

        Console.MarkupLine($"[red]Demo finished in {seconds} s: {_failures.Count} check(s) failed:[/]");
        foreach (var failure in _failures)
        {
            Console.MarkupLine($"  [red]✗[/] {Markup.Escape(failure)}");
        }

        return ExitCodes.Failure;
    }

    private async Task RunStepsAsync(TestDatabase database, CancellationToken cancellationToken)
    {
        await CreateSchemaAsync(database, cancellationToken).ConfigureAwait(false);
        await ApplyPoliciesAsync(database, cancellationToken).ConfigureAwait(false);
        var tenants = database.CreateTenantDataSource(configureOptions: ConfigureTenants);
        await using (tenants.ConfigureAwait(false))
        {
            await SeedAsync(tenants, cancellationToken).ConfigureAwait(false);
            await ShowEachTenantSeesItsRowsAsync(database, tenants, cancellationToken).ConfigureAwait(false);
            await ShowStampingAsync(tenants, cancellationToken).ConfigureAwait(false);
            await ShowWrongTenantInsertAsync(database, tenants, cancellationToken).ConfigureAwait(false);
            await ShowNoTenantAsync(database, cancellationToken).ConfigureAwait(false);
            await ShowTimingAsync(database, tenants, cancellationToken).ConfigureAwait(false);
        }

        await ShowAuditAsync(database, cancellationToken).ConfigureAwait(false);
        await ShowSignedContextAsync(database, cancellationToken).ConfigureAwait(false);
    }

    private void Step(string title)
    {
        _step++;
        Console.WriteLine();
        var heading = $"[bold]{_step}. {Markup.Escape(title)}[/]";
        if (_context.IsTerminal)
        {
            Console.Write(new Rule(heading).LeftJustified());
        }
        else
        {
            // A rule spans the whole (wide) redirected width; a plain heading reads better in a file.
            Console.MarkupLine(heading);
        }
    }

    private void Check(bool passed, string what)
    {
        if (passed)
        {
            Console.MarkupLine($"[green]✓[/] {Markup.Escape(what)}");
        }
        else
        {
            Console.MarkupLine($"[red]✗ {Markup.Escape(what)}[/]");
            _failures.Add($"step {_step}: {what}");
        }
    }

    private void Note(string text) => Console.MarkupLine($"[dim]{Markup.Escape(text)}[/]");

    private async Task<T> WithStatusAsync<T>(string status, Func<Task<T>> work)
    {
        if (_context.IsTerminal)
        {
            return await Console.Status().StartAsync(Markup.Escape(status), _ => work()).ConfigureAwait(false);
        }

        Console.WriteLine(status);
        return await work().ConfigureAwait(false);
    }
}
