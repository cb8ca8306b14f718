%% Distributed Erlang beside Cohort (bench/src/scenarios/erlang/erlang.bench.ts compiles this with erlc at run time).
%% receiver/0 runs on one node: a sink that counts messages and an echo that answers requests.
%% sender/1 runs on the other: one-way throughput per message size and round trips with one in flight, measured
%% as Cohort's scenarios are (a warm-up, then trials), printed as "RESULT <name> <value>..." lines.
-module(cohort_bench).
-export([receiver/0, sender/1]).

-define(BATCH, 100).

receiver() ->
    register(cb_sink, spawn(fun() -> sink(0) end)),
    register(cb_echo, spawn(fun echo/0)),
    io:format("READY~n"),
    receive stop -> ok end.

sink(N) ->
    receive
        {done, From, Ref} -> From ! {Ref, N}, sink(0);
        _ -> sink(N + 1)
    end.

echo() ->
    receive
        {From, Ref, Payload} -> From ! {Ref, Payload}, echo()
    end.

%% Args: [ReceiverNode, WarmupMs, TrialMs, Trials, Size... (and "oneway" to skip the call trials)]
sender([NodeS, WarmupS, TrialS, TrialsS | Rest]) ->
    %% "oneway" among the sizes: only the one-way trials (the TLS rows have no call row to stand beside).
    SizesS = Rest -- ["oneway"],
    Node = list_to_atom(NodeS),
    [WarmupMs, TrialMs, Trials] = [list_to_integer(X) || X <- [WarmupS, TrialS, TrialsS]],
    case net_kernel:connect_node(Node) of
        true -> ok;
        Other -> io:format("ERROR cannot connect to ~s: ~p~n", [NodeS, Other]), erlang:halt(1)
    end,
    Sink = {cb_sink, Node},
    lists:foreach(
        fun(SizeS) ->
            Size = list_to_integer(SizeS),
            Bin = binary:copy(<<97>>, Size),
            _ = oneway_trial(Sink, Bin, WarmupMs),
            Rates = [oneway_trial(Sink, Bin, TrialMs) || _ <- lists:seq(1, Trials)],
            print("erlang.remote.oneway." ++ SizeS, Rates)
        end,
        SizesS),
    case lists:member("oneway", Rest) of
        true -> ok;
        false ->
            Echo = {cb_echo, Node},
            Small = binary:copy(<<97>>, 64),
            _ = call_trial(Echo, Small, WarmupMs),
            print("erlang.remote.call.inflight1", [call_trial(Echo, Small, TrialMs) || _ <- lists:seq(1, Trials)])
    end,
    erlang:halt(0).

print(Name, Values) ->
    io:format("RESULT ~s~s~n", [Name, [io_lib:format(" ~.3f", [V]) || V <- Values]]).

now_us() -> erlang:monotonic_time(microsecond).

%% Sends for Ms, then asks the sink how many arrived; the rate counts until the sink has them all.
oneway_trial(Sink, Bin, Ms) ->
    T0 = now_us(),
    send_until(Sink, Bin, T0 + Ms * 1000),
    Ref = make_ref(),
    Sink ! {done, self(), Ref},
    receive {Ref, Count} -> Count / ((now_us() - T0) / 1.0e6) end.

send_until(Sink, Bin, Deadline) ->
    send_batch(Sink, Bin, ?BATCH),
    case now_us() < Deadline of
        true -> send_until(Sink, Bin, Deadline);
        false -> ok
    end.

send_batch(_, _, 0) -> ok;
send_batch(Sink, Bin, N) -> Sink ! Bin, send_batch(Sink, Bin, N - 1).

call_trial(Echo, Bin, Ms) ->
    T0 = now_us(),
    N = call_until(Echo, Bin, T0 + Ms * 1000, 0),
    N / ((now_us() - T0) / 1.0e6).

call_until(Echo, Bin, Deadline, N) ->
    Ref = make_ref(),
    Echo ! {self(), Ref, Bin},
    receive {Ref, _} -> ok end,
    case now_us() < Deadline of
        true -> call_until(Echo, Bin, Deadline, N + 1);
        false -> N + 1
    end.
