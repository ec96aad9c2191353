using DapperTenants.Catalog;

namespace DapperTenants.Guard;

/// <summary>The guard's exceptions: what was refused, on which table, which tenants, and the fix.</summary>
internal static class GuardMessages
{
    /// <summary>Stands for the connection's tenant in a refusal's message until the refusal is raised.</summary>
    public const string TenantPlaceholder = "{tenant}";

    private const int MaxShownLength = 200;

    private const string ManagePolicies = "Manage Row-Level Security with PolicyInstaller on an owner connection, not on a tenant connection.";

    private const string KeepRole = "a tenant connection must keep the login it was opened with, because another role may bypass or change "
        + "the Row-Level Security policies that isolate tenants. Connect the data source as the role you need instead.";

    public static TenantGuardException WrongTenant(WriteKind kind, ProtectedTable table, string found, string tenant)
    {
        var name = table.Schema + "." + table.Table;
        var shown = Shorten(found);
        var (statementKind, message) = kind switch
        {
            WriteKind.Insert => ("INSERT",
                $"INSERT into {name} writes tenant '{shown}', but this connection belongs to tenant '{tenant}'. "
                + $"Open a connection for '{shown}' (tenants.Open(\"{shown}\")) or remove the tenant column so its default stamps '{tenant}'."),
            WriteKind.MergeInsert => ("MERGE INSERT",
                $"MERGE into {name} inserts tenant '{shown}', but this connection belongs to tenant '{tenant}'. "
                + $"Open a connection for '{shown}' (tenants.Open(\"{shown}\")) or remove the tenant column from the INSERT so its default stamps '{tenant}'."),
            WriteKind.Update => ("UPDATE",
                $"UPDATE of {name} sets tenant '{shown}', but this connection belongs to tenant '{tenant}'. "
                + "A row cannot move to another tenant: remove the tenant column from the SET list."),
            WriteKind.Upsert => ("INSERT ON CONFLICT DO UPDATE",
                $"INSERT ... ON CONFLICT DO UPDATE on {name} sets tenant '{shown}', but this connection belongs to tenant '{tenant}'. "
                + "A row cannot move to another tenant: remove the tenant column from the DO UPDATE SET list."),
            _ => ("MERGE UPDATE",
                $"MERGE into {name} updates tenant to '{shown}', but this connection belongs to tenant '{tenant}'. "
                + "A row cannot move to another tenant: remove the tenant column from the UPDATE SET list."),
        };
        return new TenantGuardException(message, statementKind, name, found, tenant);
    }

    public static RefusalCheck ChangesSetting(string statementKind, string shownAs, string setting) => new(statementKind, null,
        $"{shownAs} was refused: the connection carries its tenant '{TenantPlaceholder}' in the setting {setting}, and changing it would "
        + "switch tenants behind the connection's back. To work as another tenant, open a connection for it with tenants.Open(...).");

    public static RefusalCheck ResetAll(string statementKind, string setting, string fix) => new(statementKind, null,
        $"{statementKind} was refused: it would also clear the tenant setting {setting}, which carries this connection's tenant "
        + $"'{TenantPlaceholder}'. {fix}");

    public static RefusalCheck NonConstantSettingName(string setting) => new("set_config", null,
        "set_config with a setting name that is not a constant was refused: the guard cannot tell whether it changes the tenant setting "
        + $"{setting}. Write the setting name as a string literal or pass it as a parameter, such as set_config('application_name', ...).");

    public static RefusalCheck DoBlock(string suspect, string setting) => new("DO", null,
        $"DO block was refused: its body mentions '{suspect}', and the guard cannot follow PL/pgSQL, so it could change the tenant "
        + $"setting {setting}, the role or row-level security behind the connection's back. Move the logic into SQL statements the "
        + "guard can check, or into a function installed by the schema owner.");

    public static RefusalCheck ChangesDefault(string statementKind, string name, string setting) => new(statementKind, null,
        $"{statementKind} ... SET {name} was refused: it changes the default of "
        + (name == setting ? $"the tenant setting {setting}" : "the role") + " for later sessions, behind every tenant connection's back. "
        + "Configure roles and databases as their owner, outside tenant connections.");

    public static RefusalCheck ChangesRole(string statementKind, string shownAs) => new(statementKind, null, $"{shownAs} was refused: {KeepRole}");

    public static RefusalCheck AltersTable(ProtectedTable table, string action, string reason)
    {
        var name = table.Schema + "." + table.Table;
        return new("ALTER TABLE", name, $"ALTER TABLE {name} {action} was refused: {reason}. {ManagePolicies}");
    }

    public static RefusalCheck ChangesPolicy(string statementKind, ProtectedTable table, string reason)
    {
        var name = table.Schema + "." + table.Table;
        return new(statementKind, name, $"{statementKind} on {name} was refused: {reason}. {ManagePolicies}");
    }

    public static RefusalCheck CopyFrom(ProtectedTable table)
    {
        var name = table.Schema + "." + table.Table;
        return new("COPY FROM", name,
            $"COPY {name} FROM was refused: the guard cannot check the tenant of copied rows, and PostgreSQL does not support COPY FROM "
            + "into a table with row-level security. Insert the rows with INSERT statements instead.");
    }

    public static RefusalCheck UpdatesSettings(string setting) => new("UPDATE", "pg_catalog.pg_settings",
        $"UPDATE of pg_settings was refused: it can change the tenant setting {setting}, which carries this connection's tenant "
        + $"'{TenantPlaceholder}'. Change other settings with SET or set_config('name', ...).");

    private static string Shorten(string value) => value.Length <= MaxShownLength ? value : value[..MaxShownLength] + "...";
}
