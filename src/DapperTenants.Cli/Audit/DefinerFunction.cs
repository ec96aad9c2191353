namespace DapperTenants.Cli.Audit;

/// <summary>A SECURITY DEFINER function outside the system schemas and extensions.</summary>
internal sealed record DefinerFunction(string Signature, string Owner, bool OwnerBypassesRls, IReadOnlyList<long> UnforcedTablesOwned);
