using System.Collections;
using System.Collections.ObjectModel;
using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Npgsql;

namespace DapperTenants.Connections;

/// <summary>
/// The reader of one <see cref="TenantExecution"/>: positioned on the caller's first result and, when the context
/// statement went first, with the caller's <see cref="CommandBehavior.SingleResult"/> and
/// <see cref="CommandBehavior.SingleRow"/> applied to the caller's result. Closing it completes the execution.
/// </summary>
internal sealed class TenantDataReader : DbDataReader, IDbColumnSchemaGenerator
{
    private readonly TenantExecution _execution;
    private readonly NpgsqlDataReader _inner;
    private readonly bool _singleResult;
    private readonly bool _singleRow;
    private readonly bool _closeConnection;
    private bool _rowRead;
    private bool _pastSingleResult;
    private bool _faulted;
    private Exception? _failure;
    private bool _finished;
    private bool _disposed;

    public TenantDataReader(TenantExecution execution, NpgsqlDataReader inner, CommandBehavior behavior)
    {
        _execution = execution;
        _inner = inner;

        // Without the context statement in front, Npgsql applied these itself.
        _singleResult = execution.CarriesContext && (behavior & (CommandBehavior.SingleResult | CommandBehavior.SingleRow)) != 0;
        _singleRow = execution.CarriesContext && (behavior & CommandBehavior.SingleRow) != 0;
        _closeConnection = (behavior & CommandBehavior.CloseConnection) != 0;
    }

    public override int Depth => _inner.Depth;

    public override int FieldCount => _pastSingleResult ? 0 : _inner.FieldCount;

    public override bool HasRows => !_pastSingleResult && _inner.HasRows;

    public override bool IsClosed => _inner.IsClosed;

    public override int RecordsAffected => _inner.RecordsAffected;

    public override int VisibleFieldCount => FieldCount;

    public override object this[int ordinal] => _inner[ordinal];

    public override object this[string name] => _inner[name];

    public override bool Read()
    {
        if (_pastSingleResult || (_singleRow && _rowRead))
        {
            return false;
        }

        try
        {
            return _rowRead = _inner.Read();
        }
        catch (Exception e)
        {
            _faulted = true;
            _failure ??= e;
            throw;
        }
    }

    public override async Task<bool> ReadAsync(CancellationToken cancellationToken)
    {
        if (_pastSingleResult || (_singleRow && _rowRead))
        {
            return false;
        }

        try
        {
            return _rowRead = await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _faulted = true;
            _failure ??= e;
            throw;
        }
    }

    public override bool NextResult()
    {
        if (_singleResult)
        {
            _pastSingleResult = true;
            return false;
        }

        try
        {
            _rowRead = false;
            return _inner.NextResult();
        }
        catch (Exception e)
        {
            _faulted = true;
            _failure ??= e;
            throw;
        }
    }

    public override async Task<bool> NextResultAsync(CancellationToken cancellationToken)
    {
        if (_singleResult)
        {
            _pastSingleResult = true;
            return false;
        }

        try
        {
            _rowRead = false;
            return await _inner.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _faulted = true;
            _failure ??= e;
            throw;
        }
    }

    public override void Close()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        try
        {
            _inner.Close();
        }
        catch (Exception e)
        {
            _faulted = true;
            _failure ??= e;
            throw;
        }
        finally
        {
            _execution.Complete(clean: !_faulted, _failure);
            if (_closeConnection)
            {
                _execution.Connection.Close();
            }
        }
    }

    public override async Task CloseAsync()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        try
        {
            await _inner.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _faulted = true;
            _failure ??= e;
            throw;
        }
        finally
        {
            _execution.Complete(clean: !_faulted, _failure);
            if (_closeConnection)
            {
                await _execution.Connection.CloseAsync().ConfigureAwait(false);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            try
            {
                Close();
            }
            finally
            {
                _inner.Dispose();
                _execution.Release();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            try
            {
                await CloseAsync().ConfigureAwait(false);
            }
            finally
            {
                // Once released, what the execution sent may serve another command: nothing here touches it again.
                await _inner.DisposeAsync().ConfigureAwait(false);
                _execution.Release();
            }
        }

        // Runs Dispose(true), which does nothing more now.
        await base.DisposeAsync().ConfigureAwait(false);
    }

    public override bool GetBoolean(int ordinal) => _inner.GetBoolean(ordinal);

    public override byte GetByte(int ordinal) => _inner.GetByte(ordinal);

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) =>
        _inner.GetBytes(ordinal, dataOffset, buffer, bufferOffset, length);

    public override char GetChar(int ordinal) => _inner.GetChar(ordinal);

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) =>
        _inner.GetChars(ordinal, dataOffset, buffer, bufferOffset, length);

    public override string GetDataTypeName(int ordinal) => _inner.GetDataTypeName(ordinal);

    public override DateTime GetDateTime(int ordinal) => _inner.GetDateTime(ordinal);

    public override decimal GetDecimal(int ordinal) => _inner.GetDecimal(ordinal);

    public override double GetDouble(int ordinal) => _inner.GetDouble(ordinal);

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);

    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type GetFieldType(int ordinal) => _inner.GetFieldType(ordinal);

    public override float GetFloat(int ordinal) => _inner.GetFloat(ordinal);

    public override Guid GetGuid(int ordinal) => _inner.GetGuid(ordinal);

    public override short GetInt16(int ordinal) => _inner.GetInt16(ordinal);

    public override int GetInt32(int ordinal) => _inner.GetInt32(ordinal);

    public override long GetInt64(int ordinal) => _inner.GetInt64(ordinal);

    public override string GetName(int ordinal) => _inner.GetName(ordinal);

    public override int GetOrdinal(string name) => _inner.GetOrdinal(name);

    public override string GetString(int ordinal) => _inner.GetString(ordinal);

    public override object GetValue(int ordinal) => _inner.GetValue(ordinal);

    public override int GetValues(object[] values) => _inner.GetValues(values);

    public override bool IsDBNull(int ordinal) => _inner.IsDBNull(ordinal);

    public override Task<bool> IsDBNullAsync(int ordinal, CancellationToken cancellationToken) => _inner.IsDBNullAsync(ordinal, cancellationToken);

    public override T GetFieldValue<T>(int ordinal) => _inner.GetFieldValue<T>(ordinal);

    public override Task<T> GetFieldValueAsync<T>(int ordinal, CancellationToken cancellationToken) => _inner.GetFieldValueAsync<T>(ordinal, cancellationToken);

    public override Stream GetStream(int ordinal) => _inner.GetStream(ordinal);

    public override TextReader GetTextReader(int ordinal) => _inner.GetTextReader(ordinal);

    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type GetProviderSpecificFieldType(int ordinal) => _inner.GetProviderSpecificFieldType(ordinal);

    public override object GetProviderSpecificValue(int ordinal) => _inner.GetProviderSpecificValue(ordinal);

    public override int GetProviderSpecificValues(object[] values) => _inner.GetProviderSpecificValues(values);

    public override DataTable? GetSchemaTable() => _inner.GetSchemaTable();

    public override Task<DataTable?> GetSchemaTableAsync(CancellationToken cancellationToken = default) => _inner.GetSchemaTableAsync(cancellationToken);

    public ReadOnlyCollection<DbColumn> GetColumnSchema() => ((IDbColumnSchemaGenerator)_inner).GetColumnSchema();
}
