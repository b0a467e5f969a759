using System.Linq.Expressions;

namespace Tether.EntityFrameworkCore.Internal.Wal;

/// <summary>The members of its parameter a one-parameter lambda reads (<c>m =&gt; m.UserId</c> reads UserId), or
/// null when it uses the parameter otherwise (passes it to a method, say) and what it reads is not known.</summary>
internal sealed class MembersRead : ExpressionVisitor
{
    private readonly ParameterExpression _parameter;
    private readonly List<string> _members = [];
    private bool _opaque;

    private MembersRead(ParameterExpression parameter) => _parameter = parameter;

    public static IReadOnlyList<string>? Of(LambdaExpression lambda)
    {
        var visitor = new MembersRead(lambda.Parameters[0]);
        visitor.Visit(lambda.Body);
        return visitor._opaque ? null : visitor._members;
    }

    protected override Expression VisitMember(MemberExpression node)
    {
        if (node.Expression == _parameter)
        {
            if (!_members.Contains(node.Member.Name, StringComparer.Ordinal))
            {
                _members.Add(node.Member.Name);
            }
            return node;
        }
        return base.VisitMember(node);
    }

    protected override Expression VisitParameter(ParameterExpression node)
    {
        if (node == _parameter)
        {
            _opaque = true;
        }
        return node;
    }
}
