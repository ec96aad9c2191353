namespace DapperTenants.Policies;

/// <summary>What the printed form of the installer's expressions depends on: the tenant column and its exact type.</summary>
/// <param name="Column">The column name, unquoted.</param>
/// <param name="ColumnType">The column type as <c>format_type</c> prints it, with its modifier (<c>character varying(20)</c>).</param>
/// <param name="Type">The tenant property's type.</param>
internal sealed record ExpressionKey(string Column, string ColumnType, TenantSqlType Type);
