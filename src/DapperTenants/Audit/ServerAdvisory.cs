using System.Globalization;

namespace DapperTenants.Audit;

/// <summary>
/// PostgreSQL security fixes that concern Row-Level Security, with the first minor release of each line that has them,
/// and the end-of-life date of each release line.
/// </summary>
/// <remarks>
/// Sources: the PostgreSQL security pages and release notes of each CVE. Only release lines that received the fix are
/// listed; lines past end of life are reported by their own finding (DT061). Lines newer than the table were branched
/// after these fixes. Update the table when a new RLS-related CVE is published.
/// </remarks>
internal static class ServerAdvisory
{
    /// <summary>The date this table was last checked against the PostgreSQL security pages.</summary>
    public const string CheckedOn = "2026-11-28";

    public static readonly IReadOnlyList<RlsFix> Fixes =
    [
        new("CVE-2023-2455", "row security policies disregard user ID changes after inlining",
            new Dictionary<int, int> { [11] = 20, [12] = 15, [13] = 11, [14] = 8, [15] = 3 }),
        new("CVE-2023-39418", "MERGE fails to enforce UPDATE or SELECT row security policies",
            new Dictionary<int, int> { [15] = 4 }),
        new("CVE-2024-10976", "row security below subqueries disregards user ID changes",
            new Dictionary<int, int> { [12] = 21, [13] = 17, [14] = 14, [15] = 9, [16] = 5, [17] = 1 }),
        new("CVE-2025-8713", "optimizer statistics can expose sampled rows that row security policies hide",
            new Dictionary<int, int> { [13] = 22, [14] = 19, [15] = 14, [16] = 10, [17] = 6 }),
    ];

    /// <summary>The last day each release line gets fixes (the final minor release's date).</summary>
    public static readonly IReadOnlyDictionary<int, DateOnly> EndOfLife = new Dictionary<int, DateOnly>
    {
        [10] = new(2022, 11, 10),
        [11] = new(2023, 11, 9),
        [12] = new(2024, 11, 21),
        [13] = new(2025, 11, 13),
        [14] = new(2026, 11, 12),
        [15] = new(2027, 11, 11),
        [16] = new(2028, 11, 9),
        [17] = new(2029, 11, 8),
        [18] = new(2030, 11, 14),
    };

    /// <summary>The findings for a server of <paramref name="versionNum"/> (<c>server_version_num</c>, such as 150018) on <paramref name="today"/>.</summary>
    public static IEnumerable<AuditFinding> Evaluate(int versionNum, string version, DateOnly today)
    {
        var (major, minor) = Split(versionNum);
        var name = "PostgreSQL " + version.Split(' ', 2)[0];
        var missing = Fixes.Where(f => f.FixedIn.TryGetValue(major, out var fixedMinor) && minor < fixedMinor).ToList();
        if (missing.Count > 0)
        {
            var safe = missing.Max(f => f.FixedIn[major]);
            var cves = string.Join(", ", missing.Select(f => $"{f.Cve} (fixed in {major}.{f.FixedIn[major]})"));
            var what = string.Join(" ", missing.Select(f => $"{f.Cve}: {f.Summary}."));
            yield return new AuditFinding(AuditCodes.ServerUnpatched, AuditSeverity.Warning, name,
                $"{name} lacks Row-Level Security fixes released for PostgreSQL {major}: {cves}.",
                what + " Each needs specific conditions (role changes within a session, MERGE, user-defined operators over planner "
                + "statistics); DapperTenants' single app login with a tenant setting avoids the role-change cases, hence a warning.",
                $"Upgrade to {major}.{safe} or later: a minor upgrade keeps the data files and needs only a restart.");
        }

        var isPastEnd = EndOfLife.TryGetValue(major, out var end) ? end < today : major < EndOfLife.Keys.Min();
        if (isPastEnd)
        {
            var when = EndOfLife.ContainsKey(major) ? "on " + end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "years ago";
            var line = versionNum >= 100000
                ? major.ToString(CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{major}.{versionNum / 100 % 100}");
            yield return new AuditFinding(AuditCodes.ServerEndOfLife, AuditSeverity.Warning, name,
                $"PostgreSQL {line} reached end of life {when}.",
                "A release line past end of life gets no security fixes, including the Row-Level Security ones published since.",
                "Upgrade to a supported major release (pg_upgrade or a dump and restore).");
        }
    }

    /// <summary>Major and minor from <c>server_version_num</c>: 150018 is 15.18; before 10 (90624 is 9.6.24) the major is 9.</summary>
    public static (int Major, int Minor) Split(int versionNum) =>
        versionNum >= 100000 ? (versionNum / 10000, versionNum % 10000) : (versionNum / 10000, versionNum % 100);

    /// <summary>A security fix: its CVE, what it was about, and the first fixed minor release per major.</summary>
    internal sealed record RlsFix(string Cve, string Summary, IReadOnlyDictionary<int, int> FixedIn);
}
