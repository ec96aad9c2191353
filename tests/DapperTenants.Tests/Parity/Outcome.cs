using System.Collections;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using Npgsql;

namespace DapperTenants.Tests.Parity;

/// <summary>
/// What a piece of Dapper/ADO.NET code observably did, as one comparable text: the value it returned (with the
/// runtime type of every scalar), or the exception it threw (type, SQL state, message, and the same for each inner one).
/// </summary>
public static class Outcome
{
    public static string OfValue(object? value) => "value " + Describe(value);

    public static string OfError(Exception error) => "error " + DescribeError(error);

    /// <summary>Runs one step of a case and describes what it did, so a case can report several steps in one outcome.</summary>
    public static async Task<string> OfAsync(Func<Task> step)
    {
        try
        {
            await step();
            return "ok";
        }
        catch (Exception e) when (e is not AssertionException)
        {
            return OfError(e);
        }
    }

    /// <inheritdoc cref="OfAsync(Func{Task})"/>
    public static async Task<string> OfAsync<T>(Func<Task<T>> step)
    {
        try
        {
            return OfValue(await step());
        }
        catch (Exception e) when (e is not AssertionException)
        {
            return OfError(e);
        }
    }

    public static string DescribeError(Exception error)
    {
        var text = error switch
        {
            PostgresException pg => $"{error.GetType().FullName} {pg.SqlState}: {pg.MessageText}",
            DbException { SqlState: { } state } => $"{error.GetType().FullName} {state}: {error.Message}",
            _ => $"{error.GetType().FullName}: {error.Message}",
        };
        return error.InnerException is { } inner ? text + " <- " + DescribeError(inner) : text;
    }

    public static string Describe(object? value) => value switch
    {
        null => "null",
        DBNull => "DBNull",
        string s => "\"" + s + "\"",
        IDictionary<string, object?> row => "{" + string.Join(", ", row.Select(p => p.Key + "=" + Describe(p.Value))) + "}",
        ITuple tuple => "(" + string.Join(", ", Enumerable.Range(0, tuple.Length).Select(i => Describe(tuple[i]))) + ")",
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Describe)) + "]",
        IFormattable scalar => value.GetType().Name + ":" + scalar.ToString(null, CultureInfo.InvariantCulture),
        bool b => "Boolean:" + b,
        _ => value.ToString() ?? value.GetType().Name,
    };
}
