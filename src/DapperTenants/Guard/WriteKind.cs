namespace DapperTenants.Guard;

/// <summary>Where a statement writes a tenant value.</summary>
internal enum WriteKind : byte
{
    /// <summary>A row of <c>INSERT … VALUES</c> or <c>INSERT … SELECT</c>.</summary>
    Insert,

    /// <summary><c>INSERT … ON CONFLICT DO UPDATE SET</c>.</summary>
    Upsert,

    /// <summary><c>UPDATE … SET</c>.</summary>
    Update,

    /// <summary><c>MERGE … WHEN NOT MATCHED THEN INSERT</c>.</summary>
    MergeInsert,

    /// <summary><c>MERGE … WHEN MATCHED THEN UPDATE SET</c>.</summary>
    MergeUpdate,
}
