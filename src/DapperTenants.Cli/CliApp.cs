using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using DapperTenants.Cli.Commands;
using DapperTenants.Cli.Output;

namespace DapperTenants.Cli;

/// <summary>The <c>dapper-tenants</c> command line, callable in-process with any output writers.</summary>
internal static class CliApp
{
    /// <summary>The name users type, shown in help and messages.</summary>
    public const string Name = "dapper-tenants";

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the process exit code.</summary>
    /// <param name="args">The arguments after the command name.</param>
    /// <param name="output">Where results go (standard output).</param>
    /// <param name="error">Where errors go (standard error).</param>
    /// <param name="cancellationToken">Stops the command; it still cleans up what it created.</param>
    /// <returns>0 on success, 1 on findings or failure, 2 on bad usage, 3 when the audit could not finish, 4 when the tenant registry refused (see <see cref="ExitCodes"/>).</returns>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, output, error, terminalInput: null, cancellationToken);

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the process exit code.</summary>
    /// <param name="args">The arguments after the command name.</param>
    /// <param name="output">Where results go (standard output).</param>
    /// <param name="error">Where errors go (standard error).</param>
    /// <param name="terminalInput">Standard input when it is an interactive terminal (confirmations); <see langword="null"/> otherwise.</param>
    /// <param name="cancellationToken">Stops the command; it still cleans up what it created.</param>
    /// <returns>0 on success, 1 on findings or failure, 2 on bad usage, 3 when the audit could not finish, 4 when the tenant registry refused (see <see cref="ExitCodes"/>).</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TextReader? terminalInput, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var context = new CliContext(output, error) { TerminalInput = terminalInput };
        var root = BuildRoot(context);

        // No response files: System.CommandLine would read '@name' as a file of more arguments, so a tenant value such as
        // '@acme' (tenants create @acme) would become whatever a file of that name holds, options included.
        var parseResult = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

        // Help and version clear the parse errors of the rest of the line; anything else with errors is bad usage.
        if (parseResult.Errors.Count > 0 && parseResult.Action is not { ClearsParseErrors: true })
        {
            foreach (var parseError in parseResult.Errors)
            {
                await error.WriteLineAsync("error: " + parseError.Message).ConfigureAwait(false);
            }

            // The path as typed (dapper-tenants tenants create), so the hint works for a sub-command's sub-command too.
            var usage = Name;
            for (var result = parseResult.CommandResult; result is not null && result.Command != root; result = result.Parent as CommandResult)
            {
                usage = usage.Insert(Name.Length, " " + result.Command.Name);
            }

            await error.WriteLineAsync($"Run '{usage} --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        return await parseResult.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    internal static Command BuildRoot(CliContext context)
    {
        // A plain Command named like the tool, rather than RootCommand, whose name is the running executable's
        // (DapperTenants.Cli under 'dotnet run', testhost under the tests).
        var root = new Command(Name,
            "Row-Level Security for Dapper on PostgreSQL: a demo, policies from your [Rls] types, and an audit of a live database.")
        {
            new HelpOption(),
            new VersionOption(),
            CliOptions.Verbose(),
        };
        root.Subcommands.Add(DemoCommand.Create(context));
        root.Subcommands.Add(PolicyCommands.CreatePlan(context));
        root.Subcommands.Add(PolicyCommands.CreateApply(context));
        root.Subcommands.Add(PolicyCommands.CreateScript(context));
        root.Subcommands.Add(AuditCommand.Create(context));
        root.Subcommands.Add(TenantsPurgeExportCommands.AddTo(TenantsCommands.Create(context), context));
        root.Subcommands.Add(AccessLogCommand.Create(context));
        return root;
    }
}
