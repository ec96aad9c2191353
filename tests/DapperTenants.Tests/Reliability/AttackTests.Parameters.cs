using System.Data;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// Caller parameters that once reached the tenant value (issue #12, break 1): the context statement bound a parameter
/// named <c>__dapper_tenants_tenant</c> from the caller's collection, and Npgsql took the caller's. No caller parameter,
/// whatever its name, prefix, case or direction, may reach or shadow the tenant, on any execution path.
/// </summary>
public partial class AttackTests
{
    private const string OldName = "__dapper_tenants_tenant";
    private const string ReadAll = "select id, tenant, note from orders where total >= 0";
    private const string Stamp = "insert into orders (id, total, note) values (9, 1, 'stamped') returning tenant";
    private const string RemoveStamp = "delete from orders where id = 9";

    /// <summary>The parameter-override attacks, on every execution path.</summary>
    public static IEnumerable<AttackCase> ParameterCases =>
    [
        new("parameter_named_like_the_context_DynamicParameters", Outcome.NoForeignRows, ReadAll) { Parameters = Dynamic(OldName), Control = ReadAll },
        new("parameter_named_like_the_context_Query", Outcome.NoForeignRows, ReadAll) { Parameters = Dynamic(OldName), Via = Via.Query },
        new("parameter_named_like_the_context_Scalar", Outcome.NoForeignRows, "select string_agg(tenant, ',') from orders") { Parameters = Dynamic(OldName), Via = Via.Scalar },
        new("parameter_named_like_the_context_stamps_an_insert", Outcome.NoForeignRows, Stamp)
        {
            Parameters = Dynamic(OldName),
            Control = ReadAll,
            Cleanup = RemoveStamp,
        },
        new("parameter_named_like_the_context_Execute", Outcome.NoForeignRows, "insert into orders (id, total) values (9, 1)")
        {
            Parameters = Dynamic(OldName),
            Via = Via.Execute,
            Control = ReadAll,
            Cleanup = RemoveStamp,
        },
        new("parameter_named_like_the_context_anonymous_unused", Outcome.NoForeignRows, ReadAll) { Parameters = new { __dapper_tenants_tenant = "globex" } },
        new("parameter_named_like_the_context_anonymous_used", Outcome.NoForeignRows, $"{ReadAll} and @{OldName} is not null")
        {
            Parameters = new { __dapper_tenants_tenant = "globex" },
            Control = ReadAll,
        },
        new("parameter_named_like_the_context_with_at", Outcome.NoForeignRows, ReadAll) { Parameters = Dynamic("@" + OldName) },
        new("parameter_named_like_the_context_with_colon", Outcome.NoForeignRows, ReadAll) { Parameters = Dynamic(":" + OldName) },
        new("parameter_named_like_the_context_upper_case", Outcome.NoForeignRows, ReadAll) { Parameters = Dynamic(OldName.ToUpperInvariant()) },
        new("parameter_named_like_the_context_InputOutput", Outcome.NoForeignRows, $"{ReadAll} and @{OldName} is not null")
        {
            Parameters = Dynamic(OldName, ParameterDirection.InputOutput),
            Control = ReadAll,
        },
        new("parameter_named_like_the_context_Output", Outcome.NoForeignRows, ReadAll) { Parameters = Dynamic(OldName, ParameterDirection.Output) },
        new("parameter_named_like_a_drawn_context_name", Outcome.NoForeignRows, $"select 1; {ReadAll} and @__dapper_tenants_0123456789abcdef is not null")
        {
            // A text of several statements binds the context under a name drawn at random per data source.
            Parameters = new { __dapper_tenants_0123456789abcdef = "globex" },
            Control = ReadAll,
        },
        new("parameter_named_like_the_context_in_several_statements", Outcome.NoForeignRows, $"select 1; {ReadAll} and @{OldName} is not null; {Stamp}")
        {
            Parameters = Dynamic(OldName),
            Control = ReadAll,
            Cleanup = RemoveStamp,
        },
        new("parameter_named_dollar_1", Outcome.NoForeignRows, $"{ReadAll} and @p is not null")
        {
            Parameters = Dynamic("$1", extra: "p"),
            Control = ReadAll,
        },
        new("positional_parameter_1", Outcome.NoForeignRows, $"{ReadAll} and $1 is not null")
        {
            // A positional $1 is the caller's own first parameter, never the context's.
            Parameters = new { first = "globex" },
            Via = Via.Positional,
            Control = ReadAll,
        },
        new("positional_parameters_in_several_statements", Outcome.Refused, $"select $1; {ReadAll} and $1 is not null")
        {
            // PostgreSQL takes positional parameters in one statement only, as with a plain NpgsqlCommand.
            Parameters = new { first = "globex" },
            Via = Via.Positional,
            SqlState = PostgresErrorCodes.SyntaxError,
            Says = "cannot insert multiple commands into a prepared statement",
        },
        new("parameter_named_like_the_context_DbBatch", Outcome.NoForeignRows, $"{ReadAll} and @{OldName} is not null;\n{Stamp}")
        {
            Parameters = new { __dapper_tenants_tenant = "globex" },
            Via = Via.Batch,
            Control = ReadAll,
            Cleanup = RemoveStamp,
        },
        new("parameter_named_like_the_context_prepared", Outcome.NoForeignRows, $"{ReadAll} and @{OldName} is not null")
        {
            Parameters = new { __dapper_tenants_tenant = "globex" },
            Via = Via.Prepared,
            Control = ReadAll,
        },
        new("stored_procedure_reading_a_hidden_row", Outcome.NoForeignRows, "order_note")
        {
            Parameters = Procedure(),
            Via = Via.StoredProcedure,
            Control = "call order_note(101, null)",
        },
        new("parameter_value_with_SQL", Outcome.NoForeignRows, "select id, tenant, note from orders where coalesce(note, '') <> @v")
        {
            Parameters = new { v = "'; set dapper_tenants.tenant = 'globex'; select '" },
            Control = Read,
        },
        new("parameter_value_of_another_tenant_in_WHERE", Outcome.NoForeignRows, "select id, tenant, note from orders where tenant = @t")
        {
            Parameters = new { t = "globex" },
            Control = Read,
        },
        new("parameter_value_of_another_tenant_in_INSERT", Outcome.Guard, "insert into orders (id, tenant, total) values (9, @t, 1)")
        {
            Parameters = new { t = "globex" },
            Kind = "INSERT",
            WithGuardOff = Outcome.Refused,
            SqlState = Denied,
            Cleanup = RemoveStamp,
        },
        new("parameter_value_of_another_tenant_in_UPDATE", Outcome.Guard, "update orders set tenant = @t where id = 1")
        {
            Parameters = new { t = "globex" },
            Kind = "UPDATE",
            WithGuardOff = Outcome.Refused,
            SqlState = Denied,
        },
    ];

    /// <summary>Fresh <see cref="DynamicParameters"/> for each run (Dapper fills output values into them).</summary>
    private static Func<object> Dynamic(string name, ParameterDirection direction = ParameterDirection.Input, string? extra = null) => () =>
    {
        var parameters = new DynamicParameters();
        parameters.Add(name, "globex", DbType.String, direction, size: 64);
        if (extra is not null)
        {
            parameters.Add(extra, "x");
        }

        return parameters;
    };

    private static Func<object> Procedure() => () =>
    {
        var parameters = new DynamicParameters();
        parameters.Add("p_id", 101);
        parameters.Add("p_note", null, DbType.String, ParameterDirection.InputOutput, size: 64);
        return parameters;
    };
}
