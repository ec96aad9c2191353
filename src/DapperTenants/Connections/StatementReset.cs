using System.Reflection;
using Npgsql;

namespace DapperTenants.Connections;

/// <summary>
/// Prepares a caller's <see cref="NpgsqlBatchCommand"/> to be parsed afresh by Npgsql on its next execution.
/// </summary>
/// <remarks>
/// <para>
/// Npgsql 10 appends the parameters it finds for named placeholders (<c>@p</c>) to a list it keeps on the batch command,
/// and never clears that list when a batch command is parsed again: a batch command with named parameters executed a
/// second time unprepared sends its parameters twice (a plain <c>NpgsqlBatch</c> run twice fails the same way with
/// "Missing type info or binding info", or breaks the connection). Npgsql's own <c>NpgsqlCommand</c> resets its
/// statements before each parse through an internal method; batch commands have no such path.
/// </para>
/// <para>
/// A command of a tenant connection keeps one batch command for the caller's statement across executions, so before
/// each execution that Npgsql will parse, this forgets the statement's preparation (through the public
/// <c>CommandText</c> setter, which Npgsql documents as resetting it) and empties that list. The list is a private field:
/// when a future Npgsql renames it, <see cref="IsAvailable"/> is false and callers use a fresh batch command instead.
/// </para>
/// </remarks>
internal static class StatementReset
{
    private static readonly FieldInfo? Owned = Field("_ownedInputParameters");
    private static readonly FieldInfo? Input = Field("_inputParameters");

    /// <summary>Whether Npgsql's list can be reset in place (the private fields are where Npgsql 10 keeps them).</summary>
    public static bool IsAvailable { get; } = Owned is not null && Input is not null;

    /// <summary>Forgets the statement's preparation and the parameter order its last parse built.</summary>
    public static void ForReparse(NpgsqlBatchCommand statement)
    {
        statement.CommandText = statement.CommandText;
        var owned = (List<NpgsqlParameter>?)Owned!.GetValue(statement);
        var input = (List<NpgsqlParameter>?)Input!.GetValue(statement);
        if (owned is not null && (input is null || ReferenceEquals(input, owned)))
        {
            owned.Clear();
        }
        else if (input is not null)
        {
            // Positional parameters: the list is the caller's own collection, which the next parse assigns again.
            Input.SetValue(statement, null);
        }
    }

    private static FieldInfo? Field(string name) =>
        typeof(NpgsqlBatchCommand).GetField(name, BindingFlags.NonPublic | BindingFlags.Instance) is { } field
        && field.FieldType == typeof(List<NpgsqlParameter>) ? field : null;
}
