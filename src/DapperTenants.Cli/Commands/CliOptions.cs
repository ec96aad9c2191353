using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Npgsql;

namespace DapperTenants.Cli.Commands;

/// <summary>The options several commands share, each with its validation, so bad values exit 2 before anything runs.</summary>
internal static partial class CliOptions
{
    public const string VerboseName = "--verbose";

    public static Option<bool> Verbose() => new(VerboseName)
    {
        Description = "Print the full exception, with its stack trace, when a command fails.",
        Recursive = true,
    };

    public static Option<string> Connection(string description)
    {
        var option = new Option<string>("--connection", "-c") { Description = description, Required = true };
        option.Validators.Add(ValidateConnectionString);
        return option;
    }

    public static Option<FileInfo> Assembly()
    {
        var option = new Option<FileInfo>("--assembly", "-a")
        {
            Description = "The compiled assembly (.dll) whose [Rls] types describe the tables; its dependencies are loaded from beside it.",
            Required = true,
        };
        return option.AcceptExistingOnly();
    }

    public static Option<string> Setting()
    {
        var option = new Option<string>("--setting")
        {
            Description = "The PostgreSQL setting that carries the tenant to the policies (TenantOptions.SettingName).",
            DefaultValueFactory = _ => TenantOptions.DefaultSettingName,
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!SettingNamePattern().IsMatch(value))
            {
                result.AddError($"--setting '{value}' is not a valid setting name: use 'prefix.name' in lower case letters, digits and underscores, such as 'app.tenant_id'.");
            }
        });
        return option;
    }

    public static Option<string?> GrantTo()
    {
        var option = new Option<string?>("--grant-to")
        {
            Description = "Also grant this role (the application login) what it needs: USAGE on the schemas, SELECT, INSERT, UPDATE, DELETE on the tables, USAGE, SELECT on their sequences. Never TRUNCATE or REFERENCES.",
        };
        option.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string?>()))
            {
                result.AddError("--grant-to needs a role name.");
            }
        });
        return option;
    }

    private static void ValidateConnectionString(OptionResult result)
    {
        var value = result.GetValueOrDefault<string>();
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(value);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                result.AddError("--connection has no Host: give a connection string such as 'Host=localhost;Username=app_owner;Password=...;Database=app'.");
            }
        }
        catch (ArgumentException ex)
        {
            // Npgsql's message names the keyword, never the value, so it cannot echo a password.
            result.AddError("--connection is not a valid PostgreSQL connection string: " + ex.Message);
        }
    }

    // Mirrors TenantOptions' rule so a bad name is a usage error (exit 2) before any connection is made.
    [GeneratedRegex(@"\A[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex SettingNamePattern();
}
