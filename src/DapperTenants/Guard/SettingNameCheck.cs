namespace DapperTenants.Guard;

/// <summary><c>set_config(@name, …)</c>: refused when the parameter names the tenant setting or another protected setting.</summary>
internal sealed class SettingNameCheck : GuardCheck
{
    private readonly ParameterRef _parameter;
    private readonly string _setting;

    public SettingNameCheck(ParameterRef parameter, string setting)
    {
        _parameter = parameter;
        _setting = setting;
    }

    public override TenantGuardException? Evaluate(ref GuardEvaluation evaluation)
    {
        if (evaluation.Find(_parameter) is not { } parameter)
        {
            // Npgsql leaves an unknown placeholder in the text; PostgreSQL then rejects the call itself.
            return null;
        }

        if (parameter.Value is not string name)
        {
            return GuardMessages.NonConstantSettingName(_setting).Raise(evaluation.Tenant);
        }

        return GuardAnalyzer.RefuseSettingName(name, _setting)?.Raise(evaluation.Tenant);
    }
}
