using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using DapperTenants.Cli.Installer;
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

    public static Option<string?> SigningKeyEnv()
    {
        var option = new Option<string?>("--signing-key-env")
        {
            Description = "Use the signed tenant context, with the key (hex or base64) in this environment variable. The key is never a command-line value.",
            HelpName = "NAME",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } name)
            {
                SigningKeyInput.FromEnvironment(name, out var error);
                if (error is not null)
                {
                    result.AddError(error);
                }
            }
        });
        return option;
    }

    public static Option<FileInfo> SigningKeyFile()
    {
        var option = new Option<FileInfo>("--signing-key-file")
        {
            Description = "Use the signed tenant context, with the key in this file (hex, base64 or the raw bytes).",
            HelpName = "PATH",
        };
        option.AcceptExistingOnly();
        option.Validators.Add(result =>
        {
            // From the token, not the value: when the file does not exist, AcceptExistingOnly has already said so.
            if (result.Tokens is [.., var token] && new FileInfo(token.Value) is { Exists: true } file)
            {
                SigningKeyInput.FromFile(file, out var error);
                if (error is not null)
                {
                    result.AddError(error);
                }
            }
        });
        return option;
    }

    public static Option<string> SigningKeyId()
    {
        var option = new Option<string>("--signing-key-id")
        {
            Description = "The id the key is installed under (TenantOptions.SigningKeyId).",
            DefaultValueFactory = _ => TenantOptions.DefaultSigningKeyId,
        };
        option.Validators.Add(result => ValidateKeyId(result, "--signing-key-id"));
        return option;
    }

    public static Option<string[]> RetireSigningKey()
    {
        var option = new Option<string[]>("--retire-signing-key")
        {
            Description = "Remove this key id from the database once no application signs with it (repeatable): the last step of a key rotation.",
            HelpName = "ID",
        };
        option.Validators.Add(result => ValidateKeyId(result, "--retire-signing-key"));
        return option;
    }

    /// <summary>The key options' rules that involve several options: one key source at most, and an id or a retirement only with a reason.</summary>
    public static void ValidateSigningOptions(
        CommandResult result, Option<string?> env, Option<FileInfo> file, Option<string> keyId, Option<string[]> retire, Option<bool>? include = null)
    {
        var hasEnv = result.GetResult(env) is not null;
        var hasFile = result.GetResult(file) is not null;
        if (hasEnv && hasFile)
        {
            result.AddError("--signing-key-env and --signing-key-file are two sources for one key: give one.");
        }

        var keyless = !hasEnv && !hasFile;
        if (keyless && result.GetResult(keyId) is { Implicit: false })
        {
            result.AddError("--signing-key-id names the key of --signing-key-env or --signing-key-file: give one of them too.");
        }

        if (keyless && include is not null && result.GetValue(include))
        {
            result.AddError("--include-signing-key writes the key of --signing-key-env or --signing-key-file into the script: give one of them too.");
        }

        var installed = result.GetResult(keyId)?.Tokens is { Count: > 0 } ids ? ids[^1].Value : TenantOptions.DefaultSigningKeyId;
        if (!keyless && result.GetResult(retire) is { } retired && retired.Tokens.Any(t => t.Value == installed))
        {
            result.AddError($"--retire-signing-key {installed} is the key being installed: a key cannot be installed and retired at once.");
        }
    }

    private static void ValidateKeyId(OptionResult result, string option)
    {
        foreach (var id in result.Tokens.Select(t => t.Value))
        {
            if (!KeyIdPattern().IsMatch(id))
            {
                result.AddError($"{option} '{id}' is not a valid key id: use 1 to 32 lower case letters, digits and underscores, such as 'default' or 'k2026_05'.");
            }
        }
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

    // Mirrors TenantOptions' rule for key ids.
    [GeneratedRegex(@"\A[a-z0-9_]{1,32}\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyIdPattern();

    // Mirrors TenantOptions' rule so a bad name is a usage error (exit 2) before any connection is made.
    [GeneratedRegex(@"\A[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex SettingNamePattern();
}
