using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace FedActors.Core.Client;

/// <summary>
/// The mailbox of the actors on the training dispatcher (<c>fedactors.training-dispatcher.mailbox-type</c>):
/// unbounded, like Akka's default, but an empty one holds no storage. Akka's default queue is a
/// <see cref="System.Collections.Concurrent.ConcurrentQueue{T}"/>, whose first segment of 32
/// envelopes (about 800 bytes) exists from the actor's start; a million idle clients held 0.8 GB
/// in empty mailboxes. Here the buffer exists only while messages wait, and a lock guards it: a
/// client gets a handful of messages a round, so contention is not what costs.
/// </summary>
public sealed class CompactMailbox : MailboxType, IProducesMessageQueue<CompactMessageQueue>
{
    /// <summary>Created by Akka from the dispatcher's configuration.</summary>
    public CompactMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CompactMessageQueue();
}

/// <summary>
/// A multi-producer, single-consumer FIFO of envelopes whose ring buffer is allocated when a
/// message arrives at an empty queue and dropped when the queue empties again. It locks on itself,
/// not on a lock object of its own, which would be one more allocation per actor; nothing else
/// sees the queue.
/// </summary>
public sealed class CompactMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private const int InitialCapacity = 4;

    private Envelope[]? _items;
    private int _head;
    private int _count;

    /// <inheritdoc />
    public bool HasMessages => Volatile.Read(ref _count) > 0;

    /// <inheritdoc />
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (this)
        {
            if (_items is null)
            {
                _items = new Envelope[InitialCapacity];
                _head = 0;
            }
            else if (_count == _items.Length)
            {
                var grown = new Envelope[_items.Length * 2];
                for (var i = 0; i < _count; i++)
                {
                    grown[i] = _items[(_head + i) % _items.Length];
                }

                _items = grown;
                _head = 0;
            }

            _items[(_head + _count) % _items.Length] = envelope;
            Volatile.Write(ref _count, _count + 1);
        }
    }

    /// <inheritdoc />
    public bool TryDequeue(out Envelope envelope)
    {
        lock (this)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }

            var items = _items!;
            envelope = items[_head];
            items[_head] = default;
            _head = (_head + 1) % items.Length;
            Volatile.Write(ref _count, _count - 1);
            if (_count == 0)
            {
                _items = null;
            }

            return true;
        }
    }

    /// <inheritdoc />
    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }
}
