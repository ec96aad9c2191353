using System.Globalization;
using System.Text;
using Dapper;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// <c>contextcost</c>: the server's CPU per context statement, for each form the library could send, and the signed
/// context's verifier per statement. Every form runs on a connection of its own, kept open (so its backend's CPU is its
/// own, and no pool reset is counted), interleaved one operation at a time with its reference — the same operation
/// without the context statement — by <see cref="InterleavedRun"/>. The statement's cost is the difference of the two
/// backends' CPU per operation.
/// </summary>
/// <remarks>
/// <para>
/// The forms: <c>select set_config('setting', $1, true)</c> as the library's batch sends it (a batch command of its own,
/// the value a bound text parameter), unprepared and prepared (<see cref="NpgsqlBatch.Prepare()"/>: Npgsql's automatic
/// preparation does the same after five uses); inside an explicit transaction also <c>SET LOCAL setting = 'value'</c>
/// with a literal (only for values that are safe by construction: the benchmark tenants are <c>t0001</c>…, and a
/// signed token's alphabet is <c>a-z 0-9 _ .</c>); and each with the signed token instead of the bare tenant.
/// </para>
/// <para>
/// The verifier: a point query under the signed policy against the same query under the unsigned policy, the setting
/// set once per session on both sides; and <c>dapper_tenants.tenant_of</c> called in a PL/pgSQL loop inside the server
/// against the same loop calling nothing.
/// </para>
/// </remarks>
internal static class ContextCost
{
    private const string Setting = TenantOptions.DefaultSettingName;
    private const string PointUnsigned = "select id, tenant from orders where id = $1";
    private const string PointSigned = "select id, tenant from signed_orders where id = $1";

    public static async Task<int> RunAsync(int operations, bool pin)
    {
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Context statement cost: every form on a connection of its own, interleaved one operation at a time with its reference, {operations:N0} operations each; server backend CPU per operation.");
        report.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}.");
        if (pin)
        {
            report.AppendLine(await ServerPinning.PinAsync());
        }

        var dataset = await Dataset.ReadAsync(BenchDataSources.OwnerConnectionString);
        var tenantIndex = dataset.DrawKeys(1, seed: 5)[0].TenantIndex;
        var keys = dataset.DrawKeysOfTenant(tenantIndex, 4096, seed: 5);
        var tenants = dataset.DrawKeys(4096, seed: 6).Select(k => k.Tenant).ToArray();
        var tokens = await TokensAsync(tenants.Distinct().Append(dataset.Tenant(tenantIndex)));
        var connections = new List<NpgsqlConnection>();
        try
        {
            NpgsqlConnection Open()
            {
                var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(BenchDataSources.AppConnectionString) { Pooling = false }.ConnectionString);
                connection.Open();
                connections.Add(connection);
                return connection;
            }

            report.AppendLine("Server CPU clock: " + CpuClocks.PostgresClockSource(Open().ProcessID) + ".");
            ContextCostForm[] forms =
            [
                ContextCostForm.Batch("Reference_Select1", "outside a transaction", null, Open(), prepared: false, transaction: false),
                ContextCostForm.Batch("SetConfig_Unprepared", "outside a transaction", "Reference_Select1", Open(), prepared: false, transaction: false, ContextStatement.SetConfig, Setting, i => tenants[i & 4095]),
                ContextCostForm.Batch("SetConfigToken_Unprepared", "outside a transaction", "Reference_Select1", Open(), prepared: false, transaction: false, ContextStatement.SetConfig, SignedBench.SettingName, i => tokens[tenants[i & 4095]]),
                ContextCostForm.Batch("Reference_Select1_Prepared", "outside a transaction", null, Open(), prepared: true, transaction: false),
                ContextCostForm.Batch("SetConfig_Prepared", "outside a transaction", "Reference_Select1_Prepared", Open(), prepared: true, transaction: false, ContextStatement.SetConfig, Setting, i => tenants[i & 4095]),
                ContextCostForm.Batch("SetConfigToken_Prepared", "outside a transaction", "Reference_Select1_Prepared", Open(), prepared: true, transaction: false, ContextStatement.SetConfig, SignedBench.SettingName, i => tokens[tenants[i & 4095]]),
                ContextCostForm.Batch("Reference_Select1_InTransaction", "first statement of an explicit transaction", null, Open(), prepared: false, transaction: true),
                ContextCostForm.Batch("SetConfig_Unprepared_InTransaction", "first statement of an explicit transaction", "Reference_Select1_InTransaction", Open(), prepared: false, transaction: true, ContextStatement.SetConfig, Setting, i => tenants[i & 4095]),
                ContextCostForm.Batch("SetLocal_Literal_InTransaction", "first statement of an explicit transaction", "Reference_Select1_InTransaction", Open(), prepared: false, transaction: true, ContextStatement.SetLocal, Setting, i => tenants[i & 4095]),
                ContextCostForm.Batch("SetConfigToken_Unprepared_InTransaction", "first statement of an explicit transaction", "Reference_Select1_InTransaction", Open(), prepared: false, transaction: true, ContextStatement.SetConfig, SignedBench.SettingName, i => tokens[tenants[i & 4095]]),
                ContextCostForm.Batch("SetLocalToken_Literal_InTransaction", "first statement of an explicit transaction", "Reference_Select1_InTransaction", Open(), prepared: false, transaction: true, ContextStatement.SetLocal, SignedBench.SettingName, i => tokens[tenants[i & 4095]]),
                ContextCostForm.Batch("Reference_Select1_Prepared_InTransaction", "first statement of an explicit transaction", null, Open(), prepared: true, transaction: true),
                ContextCostForm.Batch("SetConfig_Prepared_InTransaction", "first statement of an explicit transaction", "Reference_Select1_Prepared_InTransaction", Open(), prepared: true, transaction: true, ContextStatement.SetConfig, Setting, i => tenants[i & 4095]),
                ContextCostForm.Scalar("Reference_SelectText", "one statement, setting set for the session", null, Open(), SignedBench.SettingName, tokens[dataset.Tenant(tenantIndex)], "select 'x'::text"),
                ContextCostForm.Scalar("Verifier_Call", "one statement, setting set for the session", "Reference_SelectText", Open(), SignedBench.SettingName, tokens[dataset.Tenant(tenantIndex)], $"select dapper_tenants.tenant_of('{SignedBench.SettingName}')"),
                ContextCostForm.Scalar("Reference_SelectText_InTransaction", "one statement, 100 per explicit transaction", null, Open(), SignedBench.SettingName, tokens[dataset.Tenant(tenantIndex)], "select 'x'::text", statementsPerTransaction: 100),
                ContextCostForm.Scalar("Verifier_Call_InTransaction", "one statement, 100 per explicit transaction", "Reference_SelectText_InTransaction", Open(), SignedBench.SettingName, tokens[dataset.Tenant(tenantIndex)], $"select dapper_tenants.tenant_of('{SignedBench.SettingName}')", statementsPerTransaction: 100),
                ContextCostForm.Point("Reference_PointQuery_Unsigned", "point query, setting set for the session", null, Open(), Setting, dataset.Tenant(tenantIndex), PointUnsigned, keys, prepared: false),
                ContextCostForm.Point("Verifier_PointQuery_Signed", "point query, setting set for the session", "Reference_PointQuery_Unsigned", Open(), SignedBench.SettingName, tokens[dataset.Tenant(tenantIndex)], PointSigned, keys, prepared: false),
                ContextCostForm.Point("Reference_PointQuery_Unsigned_Prepared", "point query, setting set for the session", null, Open(), Setting, dataset.Tenant(tenantIndex), PointUnsigned, keys, prepared: true),
                ContextCostForm.Point("Verifier_PointQuery_Signed_Prepared", "point query, setting set for the session", "Reference_PointQuery_Unsigned_Prepared", Open(), SignedBench.SettingName, tokens[dataset.Tenant(tenantIndex)], PointSigned, keys, prepared: true),
            ];

            var rows = InterleavedRun.Measure([.. forms.Select(f => f.Variant)], operations).ToDictionary(r => r.Name);
            report.AppendLine();
            report.AppendLine("| form | situation | server CPU µs per operation | reference | server CPU µs per statement | client thread CPU µs per statement |");
            report.AppendLine("|---|---|---:|---|---:|---:|");
            foreach (var form in forms)
            {
                var row = rows[form.Name];
                var reference = form.Reference is null ? null : rows[form.Reference];
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {form.Name} | {form.Situation} | {Format(row.ServerCpu)} | {form.Reference ?? "-"} | {(reference is null ? "-" : Format(row.ServerCpu - reference.ServerCpu))} | {(reference is null ? "-" : Format(row.ClientCpu - reference.ClientCpu))} |");
            }

            report.AppendLine();
            report.AppendLine("Per statement = this form's server CPU per operation − its reference's (the same operation without the context statement).");
            report.AppendLine("Verifier_Call: the verifier called alone, one statement (one implicit transaction) per call. Verifier_PointQuery_*: the signed policy's extra server CPU per statement (the verifier, once per statement as an init plan).");
            AppendVerifierLoop(report, Open(), tokens[dataset.Tenant(tenantIndex)], Math.Max(1000, operations * 2));
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }

        Console.WriteLine(report.ToString());
        return 0;
    }

    /// <summary>
    /// The verifier per call inside the server: a PL/pgSQL loop of <paramref name="calls"/> calls against the same loop
    /// calling nothing, five times each, alternating; the backend's CPU per statement divided by the calls.
    /// </summary>
    private static void AppendVerifierLoop(StringBuilder report, NpgsqlConnection connection, string token, int calls)
    {
        connection.Execute("select set_config(@setting, @token, false)", new { setting = SignedBench.SettingName, token });
        var check = connection.ExecuteScalar<string?>("select dapper_tenants.tenant_of(@setting)", new { setting = SignedBench.SettingName });
        Verify.That(check is not null, "contextcost: the token does not verify on the server; the verifier loop would time the rejection path.");
        var loop = string.Create(CultureInfo.InvariantCulture, $"do $loop$ begin for i in 1..{calls} loop perform {{0}}; end loop; end $loop$");
        var verifier = string.Format(CultureInfo.InvariantCulture, loop, $"dapper_tenants.tenant_of('{SignedBench.SettingName}')");
        var empty = string.Format(CultureInfo.InvariantCulture, loop, "null::text");
        double verifierCpu = 0, emptyCpu = 0;
        for (var round = 0; round < 6; round++)
        {
            foreach (var (sql, isVerifier) in new[] { (verifier, true), (empty, false) })
            {
                var before = CpuClocks.PostgresProcessMicroseconds(connection.ProcessID);
                connection.Execute(sql, commandTimeout: 0);
                var spent = CpuClocks.PostgresProcessMicroseconds(connection.ProcessID) - before;
                if (round == 0)
                {
                    continue; // warm-up
                }

                if (isVerifier)
                {
                    verifierCpu += spent ?? double.NaN;
                }
                else
                {
                    emptyCpu += spent ?? double.NaN;
                }
            }
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"Verifier per call, inside the server (PL/pgSQL loop of {calls:N0} calls, 5 rounds against the same loop performing null::text): {(verifierCpu - emptyCpu) / (5.0 * calls):F2} µs of server CPU per call (loop {verifierCpu / (5.0 * calls):F2} µs, empty loop {emptyCpu / (5.0 * calls):F2} µs per iteration).");
    }

    /// <summary>The tenants' tokens, from a signed data source with the longest lifetime (so none expires during the run).</summary>
    private static async Task<Dictionary<string, string>> TokensAsync(IEnumerable<string> tenants)
    {
        await using var source = TenantDataSource.Create(BenchDataSources.AppConnectionString, options =>
        {
            SignedBench.Configure(options);
            options.SigningTokenLifetime = TimeSpan.FromDays(1);
        });
        var tokens = new Dictionary<string, string>();
        foreach (var tenant in tenants.Distinct())
        {
            await using var connection = await source.OpenAsync(tenant);
            tokens[tenant] = await connection.ExecuteScalarAsync<string>($"select current_setting('{SignedBench.SettingName}')")
                ?? throw new InvalidOperationException($"contextcost: no token in {SignedBench.SettingName} for '{tenant}'.");
        }

        return tokens;
    }

    private static string Format(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "n/a";
}
