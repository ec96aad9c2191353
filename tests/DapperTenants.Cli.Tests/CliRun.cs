using DapperTenants.Cli;

namespace DapperTenants.Cli.Tests;

/// <summary>The outcome of one in-process run of the <c>dapper-tenants</c> command.</summary>
public sealed record CliRun(int ExitCode, string Out, string Err)
{
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(args, output, error);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>The sample assembly copied beside the tests: two [Rls] types, Invoice and Project.</summary>
    public static string SampleAssembly => Path.Combine(AppContext.BaseDirectory, "DapperTenants.Cli.Sample.dll");

    /// <summary>A description for assertion messages: the exit code and both streams.</summary>
    public override string ToString() => $"exit {ExitCode}{Environment.NewLine}--- out ---{Environment.NewLine}{Out}--- err ---{Environment.NewLine}{Err}";
}
