namespace DapperTenants.Cli.Audit;

/// <summary>A foreign key whose referenced table is a protected table.</summary>
internal sealed record ForeignKeyInfo(string Name, string FromTable, long ToTableOid, IReadOnlyList<int> ReferencedColumns);
