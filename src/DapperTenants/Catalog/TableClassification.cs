namespace DapperTenants.Catalog;

/// <summary>The verdict on one table that the guard, the installer's planner and the audit must share.</summary>
/// <param name="Name">The table, as <see cref="ProtectedTable.QuotedName"/>.</param>
/// <param name="TenantColumn">The tenant column.</param>
/// <param name="Shape">How the policies pick rows by tenant.</param>
/// <param name="Protected">See <see cref="ProtectedTable.IsProtected"/>.</param>
/// <param name="RowSecurity">Row-Level Security is enabled.</param>
/// <param name="Forced">Row-Level Security is forced.</param>
/// <param name="SharedRows">NULL-tenant rows are readable by every tenant.</param>
/// <param name="Widened">A permissive policy admits rows whatever their tenant.</param>
/// <param name="Partition">The table is a partition.</param>
internal sealed record TableClassification(
    string Name, string TenantColumn, TenantPolicyShape Shape, bool Protected, bool RowSecurity, bool Forced, bool SharedRows, bool Widened, bool Partition);
