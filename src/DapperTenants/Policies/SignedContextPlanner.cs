using DapperTenants.Catalog;
using static DapperTenants.Policies.Identifiers;

namespace DapperTenants.Policies;

/// <summary>Compares the signed-context model with its catalog and decides the steps, errors and warnings. No I/O.</summary>
/// <remarks>
/// Its steps come before the tables' (the policies call the verifier, so it must exist first), except retirements, which
/// come last: one transaction applies them all, so the order only matters to the statements themselves.
/// </remarks>
internal sealed class SignedContextPlanner
{
    private readonly SignedContextModel _model;
    private readonly SignedContextCatalog _catalog;
    private readonly IReadOnlyList<string> _roles;
    private readonly string _installer;
    private readonly List<PolicyStep> _steps = [];
    private readonly List<PolicyStep> _retirements = [];
    private readonly List<string> _warnings = [];
    private readonly List<string> _errors = [];

    private SignedContextPlanner(SignedContextModel model, SignedContextCatalog catalog, IReadOnlyList<string> roles, string installer)
    {
        _model = model;
        _catalog = catalog;
        _roles = roles;
        _installer = installer;
    }

    /// <summary>Plans the signed context's objects and keys.</summary>
    /// <param name="model">The keys to install and the ids to retire.</param>
    /// <param name="catalog">What the database holds.</param>
    /// <param name="roles">The roles given to <see cref="PolicyInstaller.GrantTo"/>.</param>
    /// <param name="installer">The installer's login, for messages.</param>
    public static Result Plan(SignedContextModel model, SignedContextCatalog catalog, IReadOnlyList<string> roles, string installer)
    {
        var planner = new SignedContextPlanner(model, catalog, roles, installer);
        if (model.Signed)
        {
            planner.PlanObjects();
            planner.PlanKeys();
        }

        planner.PlanRetirements();
        return new Result(planner._steps, planner._retirements, planner._warnings, planner._errors);
    }

    private void PlanObjects()
    {
        var schema = SignedContextSql.QualifiedSchema;
        if (_catalog.Schema is not { } installedSchema)
        {
            _steps.Add(new PolicyStep(schema, "schema of the signed context missing", SignedContextSql.CreateSchema(ifNotExists: false)));
        }
        else if (!installedSchema.OwnedByInstaller)
        {
            _errors.Add($"Schema {schema} is owned by {Quote(installedSchema.Owner)}, so the installer's login {Quote(_installer)} cannot keep the "
                + $"signed context's key table and verifier in it. Connect the installer as {Quote(installedSchema.Owner)}, or drop the schema.");
            return;
        }
        else
        {
            foreach (var creator in installedSchema.Creators)
            {
                _steps.Add(new PolicyStep(schema, $"{Grantee(creator)} may CREATE in the schema of the signed context",
                    SignedContextSql.RevokeSchemaCreate(creator)));
            }
        }

        if (!PlanKeyTable())
        {
            return;
        }

        for (var i = 0; i < SignedContextSql.Functions.Count; i++)
        {
            PlanFunction(SignedContextSql.Functions[i], _catalog.Functions[i]);
        }

        foreach (var role in _catalog.RolesWithoutSchemaUsage)
        {
            _steps.Add(new PolicyStep(schema, $"role {Quote(role)} lacks USAGE on the schema of the signed context", SignedContextSql.GrantSchemaUsage(role)));
        }

        var verifier = SignedContextSql.Functions[0];
        if (_roles.Count == 0 && !_catalog.Functions[0].OthersExecute)
        {
            var app = "<the application's login>";
            _warnings.Add($"No role was given to GrantTo, and only the owner may execute {verifier.Display}: the application's login sees no rows "
                + $"until it may. Call GrantTo(\"<login>\") (dapper-tenants --grant-to), or run: {SignedContextSql.GrantSchemaUsage(app)} "
                + string.Join(" ", SignedContextSql.Functions.Where(f => f.GrantToApp).Select(f => SignedContextSql.GrantFunction(f, app))));
        }
    }

    /// <returns>Whether the key table is (or will be) usable, so that the functions can be planned.</returns>
    private bool PlanKeyTable()
    {
        var table = SignedContextNames.QualifiedKeyTable;
        if (_catalog.KeyTable is not { } keyTable)
        {
            _steps.Add(new PolicyStep(table, "key table missing", SignedContextSql.CreateKeyTable(ifNotExists: false)));
            return true;
        }

        if (!keyTable.OwnedByInstaller)
        {
            _errors.Add($"The key table {table} is owned by {Quote(keyTable.Owner)}, so the verifier, owned by the installer's login "
                + $"{Quote(_installer)}, could not read it. Connect the installer as {Quote(keyTable.Owner)}, or drop the table.");
            return false;
        }

        foreach (var grantee in keyTable.Grantees)
        {
            _steps.Add(new PolicyStep(table, $"{Grantee(grantee)} holds privileges on the key table", SignedContextSql.RevokeTable(grantee)));
        }

        if (!keyTable.RowSecurity)
        {
            _steps.Add(new PolicyStep(table, "key table without Row-Level Security", SignedContextSql.EnableKeyTableRls));
        }

        if (!keyTable.PadStatisticsOff)
        {
            _steps.Add(new PolicyStep(table, "statistics may be collected on the key table's pads", SignedContextSql.NoPadStatistics));
        }

        return true;
    }

    private void PlanFunction(SignedFunction function, SignedContextCatalog.FunctionInfo installed)
    {
        var target = function.Display;
        if (!installed.Exists)
        {
            _steps.Add(new PolicyStep(target, "function of the signed context missing", SignedContextSql.CreateFunction(function)));
        }
        else if (!installed.OwnedByInstaller)
        {
            _errors.Add($"Function {target} is owned by {Quote(installed.Owner!)}, so the installer's login {Quote(_installer)} cannot replace it. "
                + $"Connect the installer as {Quote(installed.Owner!)}, or drop the function.");
            return;
        }
        else if (!installed.Matches)
        {
            _steps.Add(new PolicyStep(target, "function differs from the model", SignedContextSql.CreateFunction(function)));
        }
        else if (installed.PublicExecute)
        {
            _steps.Add(new PolicyStep(target, "PUBLIC may execute the function", SignedContextSql.RevokeFunction(function, "PUBLIC")));
        }

        if (function.GrantToApp)
        {
            foreach (var role in installed.RolesWithoutExecute)
            {
                _steps.Add(new PolicyStep(target, $"role {Quote(role)} lacks EXECUTE on the function", SignedContextSql.GrantFunction(function, role)));
            }
        }
    }

    private void PlanKeys()
    {
        foreach (var key in _model.Keys)
        {
            var installed = _catalog.Keys.FirstOrDefault(k => k.KeyId == key.KeyId);
            var reason = installed switch
            {
                null => $"signing key {Literal(key.KeyId)} missing",
                { Matches: false } => $"signing key {Literal(key.KeyId)} differs from the given key",
                _ => null,
            };
            if (reason is not null)
            {
                _steps.Add(new PolicyStep(SignedContextNames.QualifiedKeyTable, reason, SignedContextSql.InstallKeyBound(key.KeyId)) { BoundKey = key.Key });
            }
        }

        foreach (var other in _catalog.Keys.Where(k => !k.Given && !_model.Retired.Contains(k.KeyId)))
        {
            _warnings.Add($"The signing key {Literal(other.KeyId)} is installed but not given to UseSignedContext: tokens signed with it still verify. "
                + $"Once no application signs with it, retire it with RetireSigningKey(\"{other.KeyId}\") (dapper-tenants apply --retire-signing-key {other.KeyId}).");
        }
    }

    private void PlanRetirements()
    {
        foreach (var keyId in _model.Retired.Where(id => _catalog.Keys.Any(k => k.KeyId == id)))
        {
            _retirements.Add(new PolicyStep(SignedContextNames.QualifiedKeyTable, $"signing key {Literal(keyId)} retired", SignedContextSql.RetireKey(keyId)));
        }
    }

    private static string Grantee(string role) => role == "PUBLIC" ? "PUBLIC" : "role " + Quote(role);

    /// <summary>The signed context's part of a plan.</summary>
    /// <param name="Steps">Steps that come before the tables' steps.</param>
    /// <param name="Retirements">Steps that come after them.</param>
    /// <param name="Warnings">Findings for a human.</param>
    /// <param name="Errors">Why the plan cannot be applied.</param>
    internal sealed record Result(IReadOnlyList<PolicyStep> Steps, IReadOnlyList<PolicyStep> Retirements, IReadOnlyList<string> Warnings, IReadOnlyList<string> Errors)
    {
        public static readonly Result Empty = new([], [], [], []);
    }
}
