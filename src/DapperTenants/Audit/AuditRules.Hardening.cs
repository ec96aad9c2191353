using DapperTenants.Catalog;

namespace DapperTenants.Audit;

/// <summary>
/// The rules about what the app login may do besides reading and writing rows: create temporary objects, run SQL held
/// in a string, create objects that shadow the application's; and about a pool that keeps session state between leases.
/// </summary>
internal static partial class AuditRules
{
    private const string Harden = "PolicyInstaller.Harden() and 'dapper-tenants script --harden' emit these statements.";

    private static void CheckHardening(AuditCatalog catalog, List<AuditFinding> findings)
    {
        if (catalog.AppRole is not { Exists: true, IsSuperuser: false } role)
        {
            return;
        }

        var r = role.QuotedName;
        var database = catalog.QuotedDatabase;
        if (role.CanCreateTemp)
        {
            findings.Add(new(AuditCodes.AppRoleTemporary, AuditSeverity.Warning, r,
                $"The app role {r} may create temporary objects in the database {database}.",
                "PostgreSQL grants TEMPORARY to PUBLIC by default. A temporary table or function lives as long as the session, not the lease: in a pool "
                + "that does not reset sessions the next lease (another tenant's) finds it, and a function created in pg_temp runs SQL from its body "
                + "(set_config, for one) that no check of the statement's text can see.",
                $"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC; REVOKE TEMPORARY ON DATABASE {database} FROM {r}; "
                + $"then GRANT TEMPORARY ON DATABASE {database} TO the roles that need it (migrations, reporting). {Harden}"));
        }

        if (role.ExecutableBuiltIns.Count > 0)
        {
            findings.Add(new(AuditCodes.AppRoleSqlExecutingBuiltIns, AuditSeverity.Warning, r,
                $"The app role {r} may execute built-in functions that run a query given as text: {string.Join(", ", role.ExecutableBuiltIns.Select(BareName).Distinct())}.",
                "PostgreSQL grants EXECUTE on them to PUBLIC. They run SQL held in a string, which no check of the statement's text can follow: "
                + "query_to_xml('select set_config(...)', ...) changes the tenant setting in the unsigned mode. The guard refuses the calls it can see; "
                + "the database should refuse the rest.",
                "As a superuser (the functions belong to the bootstrap superuser; a REVOKE by anyone else changes nothing): "
                + string.Concat(role.ExecutableBuiltIns.Select(f => $"REVOKE EXECUTE ON FUNCTION {f} FROM PUBLIC; "))
                + $"and REVOKE them from {r} and its groups if granted directly. {Harden}"));
        }

        foreach (var schema in CreatableOnSearchPath(role))
        {
            findings.Add(new(AuditCodes.AppRoleCreatesOnSearchPath, AuditSeverity.Error, schema.Quoted,
                $"The app role {r} may CREATE in the schema {schema.Quoted}, which is on its search_path ({role.SearchPath}){schema.Because}.",
                "An object it creates there is found by every statement that names a table, view, function or operator without a schema: a table "
                + "created in a schema searched before the real one captures every tenant's writes to that name, and a function can take the place "
                + "of one the queries call.",
                schema.Exists
                    ? $"REVOKE CREATE ON SCHEMA {schema.Quoted} FROM PUBLIC; REVOKE CREATE ON SCHEMA {schema.Quoted} FROM {r}; (and from the group roles that grant it). {Harden}"
                    : $"REVOKE CREATE ON DATABASE {database} FROM {r}; (and from PUBLIC), or remove \"$user\" from its search_path (ALTER ROLE {r} SET search_path = public). {Harden}"));
        }
    }

    private static void CheckPool(AuditInput input, List<AuditFinding> findings)
    {
        if (input.Pool is not { Pooling: true } pool || !(pool.NoResetOnClose || pool.Multiplexing))
        {
            return;
        }

        var keyword = pool.NoResetOnClose ? "No Reset On Close=true" : "Multiplexing=true";
        findings.Add(new(AuditCodes.PoolDoesNotReset, AuditSeverity.Warning, "connection string",
            $"The application's connection string sets {keyword}: a pooled session keeps its state from one lease to the next.",
            "What a lease leaves in the session (temporary tables, WITH HOLD cursors, prepared statements, session settings, LISTEN) is there for the "
            + "next lease, which may be another tenant's. The tenant context is transaction-local and does not leak, but state created under it does.",
            pool.NoResetOnClose
                ? "Remove No Reset On Close: Npgsql then resets the session (DISCARD ALL) when a connection returns to the pool."
                : "Give tenant connections a data source without Multiplexing: with it, statements of several leases share one session."));
    }

    /// <summary>The schemas of the login's search_path it may create in, and "$user" when it may create that schema.</summary>
    private static IEnumerable<(string Quoted, bool Exists, string Because)> CreatableOnSearchPath(AuditCatalog.AppLogin role)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in SearchPath(role.SearchPath))
        {
            var name = entry == "$user" ? role.Name : entry;
            if (name is "pg_temp" or "pg_catalog" || !seen.Add(name))
            {
                continue;
            }

            if (role.CreatableSchemas.Contains(name))
            {
                yield return (QuoteIdentifier(name), true, string.Empty);
            }
            else if (entry == "$user" && role.CanCreateSchema && !role.OwnSchemaExists)
            {
                yield return (QuoteIdentifier(name), false, ", through \"$user\": the schema does not exist and the role may create it");
            }
        }
    }

    /// <summary><c>query_to_xml</c> of <c>pg_catalog.query_to_xml(text, boolean, boolean, text)</c>.</summary>
    private static string BareName(string signature) => signature["pg_catalog.".Length..signature.IndexOf('(', StringComparison.Ordinal)];

    /// <summary>The entries of a search_path setting, unquoted.</summary>
    internal static IEnumerable<string> SearchPath(string setting)
    {
        foreach (var raw in setting.Split(','))
        {
            var entry = raw.Trim();
            if (entry.Length >= 2 && entry[0] == '"' && entry[^1] == '"')
            {
                entry = entry[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);
            }

            if (entry.Length > 0)
            {
                yield return entry;
            }
        }
    }

    /// <summary>An identifier as SQL writes it: bare when it is a plain lower-case name, else double-quoted.</summary>
    private static string QuoteIdentifier(string name) =>
        name.Length > 0 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') && !char.IsDigit(name[0])
            ? name
            : "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
