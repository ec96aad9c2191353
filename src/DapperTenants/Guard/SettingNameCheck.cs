using Npgsql;

namespace DapperTenants.Guard;

/// <summary><c>set_config(@name, …)</c>: refused when the parameter names the tenant setting or a role setting.</summary>
internal sealed class SettingNameCheck : GuardCheck
{
    private readonly ParameterRef _parameter;
    private readonly string _setting;

    public SettingNameCheck(ParameterRef parameter, string setting)
    {
        _parameter = parameter;
        _setting = setting;
    }

    public override TenantGuardException? Evaluate(NpgsqlParameterCollection parameters, string tenant)
    {
        if (_parameter.Find(parameters) is not { } parameter)
        {
            // Npgsql leaves an unknown placeholder in the text; PostgreSQL then rejects the call itself.
            return null;
        }

        if (parameter.Value is not string name)
        {
            return GuardMessages.NonConstantSettingName(_setting).Evaluate(parameters, tenant);
        }

        var refusal = GuardAnalyzer.RefuseSettingName(name, _setting);
        return refusal?.Evaluate(parameters, tenant);
    }
}
