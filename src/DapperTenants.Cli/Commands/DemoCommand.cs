using System.CommandLine;
using DapperTenants.Cli.Demo;

namespace DapperTenants.Cli.Commands;

/// <summary><c>demo</c>: the one-command tour of tenant isolation on a throwaway database.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        var connection = CliOptions.Connection(
            "Use this server instead of starting one: a superuser connection string (the demo creates and drops its own database and roles).");
        connection.Required = false;
        var iterations = new Option<int>("--iterations")
        {
            Description = "How many times each query runs in the timing step.",
            DefaultValueFactory = _ => 200,
        };
        iterations.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 100_000)
            {
                result.AddError("--iterations must be between 1 and 100000.");
            }
        });

        var command = new Command("demo",
            "Start a throwaway PostgreSQL, protect two tables with [Rls] policies, and show each tenant isolation property step by step. Cleans up after itself.")
        {
            connection, iterations,
        };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, parseResult,
            token => new DemoRunner(context, parseResult.GetValue(iterations)).RunAsync(parseResult.GetValue(connection), token),
            cancellationToken));
        return command;
    }
}
