namespace DapperTenants.Guard;

/// <summary>One token: its kind and where it sits in the SQL text.</summary>
internal readonly record struct SqlToken(SqlTokenKind Kind, int Start, int Length)
{
    public int End => Start + Length;
}
