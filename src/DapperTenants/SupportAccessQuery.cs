namespace DapperTenants;

/// <summary>Which access log rows <see cref="SupportAccessLog"/> reads: newest first, filtered by actor, tenant and start.</summary>
public sealed class SupportAccessQuery
{
    /// <summary>The largest <see cref="Limit"/>.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Only the sessions of this actor (exact match); <see langword="null"/> for every actor.</summary>
    public string? Actor { get; set; }

    /// <summary>Only the sessions that could see this tenant (those scoped to it, and those of all tenants); <see langword="null"/> for every session.</summary>
    public string? Tenant { get; set; }

    /// <summary>Only the sessions started at or after this instant; <see langword="null"/> for all.</summary>
    public DateTimeOffset? Since { get; set; }

    /// <summary>The most rows to return, newest first.</summary>
    /// <value>100 by default; 1 to <see cref="MaxLimit"/>.</value>
    public int Limit { get; set; } = 100;
}
